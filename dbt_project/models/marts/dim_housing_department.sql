-- Housing departments (boligafdelinger) -> housing area, with validity periods: one row
-- per spell of a department's addresses in an area. A boundary change that moves a
-- department (or part of it) to another area ends one spell and starts another; so does
-- a gap in the register. valid_to is the first month no longer valid; null while the
-- spell holds in the register's latest month.
with department_months as (
    select
        housing_department,
        area_id,
        period,
        sum(dwellings) as dwellings
    from {{ ref('stg_population__addresses') }}
    where housing_department is not null
    group by housing_department, area_id, period
),

changes as (
    select
        *,
        case
            when
                lag(period) over by_month
                = cast({{ dbt.dateadd('month', -1, 'period') }} as date)
                then 0
            else 1
        end as starts_spell
    from department_months
    window by_month as (partition by housing_department, area_id order by period)
),

spells as (
    select
        *,
        sum(starts_spell) over (
            partition by housing_department, area_id
            order by period
            rows between unbounded preceding and current row
        ) as spell
    from changes
),

latest as (
    select max(period) as period from department_months
)

select
    spells.housing_department,
    spells.area_id,
    'municipality' as municipality_id,
    min(spells.period) as valid_from,
    case
        when max(spells.period) < max(latest.period)
            then cast({{ dbt.dateadd('month', 1, 'max(spells.period)') }} as date)
    end as valid_to,
    cast(max(spells.dwellings) as bigint) as max_dwellings
from spells
cross join latest
group by spells.housing_department, spells.area_id, spells.spell
