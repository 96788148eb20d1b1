-- Housing areas (boligomraader) and the explicit 'outside' member, with the months in
-- which the address register placed dwellings in them.
select
    area_id,
    max(area_name) as area_name,
    area_id = 'outside' as is_outside_areas,
    count(distinct housing_department) as housing_departments,
    min(period) as first_period,
    max(period) as last_period
from {{ ref('stg_population__addresses') }}
group by area_id
