-- Housing areas (boligomraader), the explicit 'outside' member and the whole
-- municipality, with the months in which the address register placed dwellings in them.
-- One row per area and housing department first: the counts below read those few
-- thousand rows, not every address of every month (city: 18.5 million).
with departments as (
    select
        area_id,
        housing_department,
        min(period) as first_period,
        max(period) as last_period
    from {{ ref('stg_population__addresses') }}
    group by area_id, housing_department
),

names as (
    select
        area_id,
        max(area_name) as area_name
    from {{ ref('stg_population__areas') }}
    group by area_id
)

select
    departments.area_id,
    case when departments.area_id = 'outside' then 'outside' else 'area' end as area_level,
    coalesce(max(names.area_name), 'Uden for boligområder') as area_name,
    -- The group of addresses without a department counts none (count skips nulls).
    count(departments.housing_department) as housing_departments,
    min(departments.first_period) as first_period,
    max(departments.last_period) as last_period
from departments
left join names on departments.area_id = names.area_id
group by departments.area_id

union all

-- The whole municipality, the level of the totals in fct_area_indicator_month.
select
    'municipality' as area_id,
    'municipality' as area_level,
    'Hele kommunen' as area_name,
    count(distinct housing_department) as housing_departments,
    min(first_period) as first_period,
    max(last_period) as last_period
from departments
