-- Employment indicators per area and month (unsuppressed): criterion 1, benefit FTE,
-- NEET youth and long-term cash benefit recipients.
{%- set month_end = dbt.last_day('benefits.period', 'month') %}
-- Not materialised: each use below then reads int_person_months with its own filters and
-- the planner's row estimates, instead of one spilled copy of every person-month.
with person_months as not materialized (
    select * from {{ ref('int_person_months') }}
    where {{ in_refresh_window('period', later_months=0) }}
),

benefit_months as (
    {{ delivered_area_months('employment', 'benefits') }}
),

youth_months as (
    {{ delivered_area_months('employment', 'youth_status') }}
),

spell_fte as (
    -- Each spell's full-time equivalent in its delivery month: weekly extent x days of
    -- the spell inside the month / days of the month.
    select
        benefits.period,
        benefits.person_key,
        benefits.start_date,
        benefit_types.outside_work_education,
        benefit_types.public_benefit,
        benefit_types.cash_benefit,
        -- Exact decimals: sums of floats depend on their order, and rebuilds must agree.
        cast(
            benefits.weekly_extent
            * (
                {{ dbt.datediff(
                    'greatest(benefits.start_date, benefits.period)',
                    'least(coalesce(benefits.end_date, ' ~ month_end ~ '), ' ~ month_end ~ ')',
                    'day'
                ) }} + 1
            )
            / ({{ dbt.datediff('benefits.period', month_end, 'day') }} + 1)  -- noqa: LT05
            as decimal(18, 9)
        ) as fte
    from {{ ref('stg_employment__benefits') }} as benefits
    inner join {{ ref('benefit_types') }} as benefit_types
        on benefits.benefit_type = benefit_types.benefit_type
    where {{ in_refresh_window('benefits.period', later_months=0) }}
),

person_benefits as (
    -- Per person and month, each kind capped at one full-time person.
    select
        period,
        person_key,
        least(sum(case when outside_work_education then fte else 0 end), 1.0) as outside_fte,
        least(sum(case when public_benefit then fte else 0 end), 1.0) as public_fte,
        max(
            case
                when cash_benefit and fte > 0 and start_date <= period - interval '12 months'
                    then 1
                else 0
            end
        ) as long_term_cash
    from spell_fte
    where fte > 0
    group by period, person_key
),

residents as (
    select
        person_months.area_id,
        person_months.period,
        person_months.age,
        coalesce(person_benefits.outside_fte, 0) as outside_fte,
        coalesce(person_benefits.public_fte, 0) as public_fte,
        coalesce(person_benefits.long_term_cash, 0) as long_term_cash
    from person_months
    inner join benefit_months
        on
            person_months.period = benefit_months.period
            and person_months.area_id = benefit_months.area_id
    left join person_benefits
        on
            person_months.period = person_benefits.period
            and person_months.person_key = person_benefits.person_key
),

neet as (
    select
        person_months.area_id,
        person_months.period,
        'emp_neet_youth' as indicator_id,
        count(*) filter (where youth.neet) as numerator,
        count(*) as denominator
    from person_months
    inner join youth_months
        on
            person_months.period = youth_months.period
            and person_months.area_id = youth_months.area_id
    left join {{ ref('stg_employment__youth_status') }} as youth
        on
            person_months.period = youth.period
            and person_months.person_key = youth.person_key
    where person_months.age between 16 and 24
    group by person_months.area_id, person_months.period
)

select
    area_id,
    period,
    'emp_outside_work_edu' as indicator_id,
    sum(outside_fte) as numerator,
    count(*) as denominator
from residents
where age between 18 and 64
group by area_id, period

union all

select
    area_id,
    period,
    'emp_benefit_fte' as indicator_id,
    sum(public_fte) as numerator,
    count(*) as denominator
from residents
where age between 16 and 66
group by area_id, period

union all

select
    area_id,
    period,
    'emp_long_term_cash' as indicator_id,
    sum(long_term_cash) as numerator,
    count(*) as denominator
from residents
where age between 18 and 64
group by area_id, period

union all

select * from neet
