-- Who lived in which housing area on the first of each month, with age that day.
-- Residents at an address that matches no area are counted as 'outside', never dropped.
with spells as (
    select * from {{ ref('stg_population__residents') }}
),

-- Only addresses in an area: a spell at any other address comes out 'outside' below
-- just the same, and the join holds under half of a city's addresses (city full
-- refresh of this model: 12-14 s before, 9 s).
addresses as (
    select
        period,
        address_id,
        area_id
    from {{ ref('stg_population__addresses') }}
    where area_id != 'outside'
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
