-- Who lived in which housing area on the first of each month, with age that day.
-- Residents at an address that matches no area are counted as 'outside', never dropped.
with spells as (
    select * from {{ ref('stg_population__residents') }}
),

addresses as (
    select * from {{ ref('stg_population__addresses') }}
)

select
    spells.period,
    spells.person_key,
    spells.origin,
    spells.is_non_western,
    coalesce(addresses.area_id, 'outside') as area_id,
    {{ age_in_years('spells.birth_date', 'spells.period') }} as age
from spells
left join addresses
    on
        spells.period = addresses.period
        and spells.address_id = addresses.address_id
where
    spells.move_in_date <= spells.period
    and (spells.move_out_date is null or spells.move_out_date > spells.period)
    and {{ in_refresh_window('spells.period', later_months=0) }}
