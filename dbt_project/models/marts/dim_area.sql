-- Housing areas (boligomraader) and the explicit 'outside' member, with the months in
-- which the address register placed dwellings in them.
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
    addresses.area_id = 'outside' as is_outside_areas,
    coalesce(max(names.area_name), 'Uden for boligområder') as area_name,
    count(distinct addresses.housing_department) as housing_departments,
    min(addresses.period) as first_period,
    max(addresses.period) as last_period
from addresses
left join names on addresses.area_id = names.area_id
group by addresses.area_id
