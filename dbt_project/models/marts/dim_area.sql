-- Housing areas (boligomraader), the explicit 'outside' member and the whole
-- municipality, with the months in which the address register placed dwellings in them.
with addresses as (
    select * from {{ ref('stg_population__addresses') }}
),

names as (
    select
        area_id,
        max(area_name) as area_name
    from {{ ref('stg_population__areas') }}
    group by area_id
)

select
    addresses.area_id,
    case when addresses.area_id = 'outside' then 'outside' else 'area' end as area_level,
    coalesce(max(names.area_name), 'Uden for boligområder') as area_name,
    count(distinct addresses.housing_department) as housing_departments,
    min(addresses.period) as first_period,
    max(addresses.period) as last_period
from addresses
left join names on addresses.area_id = names.area_id
group by addresses.area_id

union all

-- The whole municipality, the level of the totals in fct_area_indicator_month.
select
    'municipality' as area_id,
    'municipality' as area_level,
    'Hele kommunen' as area_name,
    count(distinct housing_department) as housing_departments,
    min(period) as first_period,
    max(period) as last_period
from addresses
