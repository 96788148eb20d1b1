-- One row per area and month: dwellings from the address register, residents from the
-- person-month backbone.
with dwellings as (
    select
        period,
        area_id,
        sum(dwellings) as dwellings
    from {{ ref('stg_population__addresses') }}
    where {{ in_refresh_window('period', later_months=0) }}
    group by period, area_id
),

residents as (
    select
        period,
        area_id,
        count(*) as residents
    from {{ ref('int_person_months') }}
    where {{ in_refresh_window('period', later_months=0) }}
    group by period, area_id
)

select
    coalesce(dwellings.period, residents.period) as period,
    coalesce(dwellings.area_id, residents.area_id) as area_id,
    coalesce(dwellings.dwellings, 0) as dwellings,
    coalesce(residents.residents, 0) as residents
from dwellings
full outer join residents
    on
        dwellings.period = residents.period
        and dwellings.area_id = residents.area_id
