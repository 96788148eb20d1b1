-- Who lived in which housing area in which month, with age on the first of the month.
-- Residents at an address that matches no area are counted as 'outside', never dropped.
with residents as (
    select * from {{ ref('stg_population__residents') }}
),

addresses as (
    select * from {{ ref('stg_population__addresses') }}
)

select
    residents.period,
    residents.person_key,
    residents.origin,
    coalesce(addresses.area_id, 'outside') as area_id,
    {{ age_in_years('residents.birth_date', 'residents.period') }} as age
from residents
left join addresses
    on
        residents.period = addresses.period
        and residents.address_id = addresses.address_id
