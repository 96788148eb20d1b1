-- Every implemented indicator per area and month, UNSUPPRESSED. Restricted: read only by
-- signal detection; everything published goes through fct_area_indicator_month.
with person_months as (
    select * from {{ ref('int_person_months') }}
),

area_months as (
    select * from {{ ref('int_area_months') }}
),

delivered_months as (
    select * from {{ ref('stg_extract__deliveries') }}
),

benefit_days as (
    -- Days of each benefit spell inside its delivery month, weighted by weekly extent.
    select
        benefits.period,
        benefits.person_key,
        benefits.weekly_extent
        * (
            {{ days_between(
                'greatest(benefits.start_date, benefits.period)',
                'least(coalesce(benefits.end_date, ' ~ month_end('benefits.period') ~ '), '
                ~ month_end('benefits.period') ~ ')'
            ) }} + 1
        )
        / ({{ days_between('benefits.period', month_end('benefits.period')) }} + 1) as fte
    from {{ ref('stg_employment__benefits') }} as benefits
    inner join {{ ref('benefit_types') }} as benefit_types
        on benefits.benefit_type = benefit_types.benefit_type
    where benefit_types.outside_work_education
),

outside_fte as (
    -- Full-time equivalents outside work or education per person and month, capped at one.
    select
        period,
        person_key,
        least(sum(fte), 1.0) as fte
    from benefit_days
    where fte > 0
    group by period, person_key
),

emp_outside_work_edu as (
    select
        person_months.area_id,
        person_months.period,
        'emp_outside_work_edu' as indicator_id,
        coalesce(sum(outside_fte.fte), 0) as numerator,
        count(*) as denominator
    from person_months
    inner join delivered_months
        on
            person_months.period = delivered_months.period
            and delivered_months.system = 'employment'
            and delivered_months.entity = 'benefits'
    left join outside_fte
        on
            person_months.period = outside_fte.period
            and person_months.person_key = outside_fte.person_key
    where person_months.age between 18 and 64
    group by person_months.area_id, person_months.period
),

cy_school_absence as (
    -- Pupils count in the area they lived in on the first of the month.
    select
        person_months.area_id,
        absence.period,
        'cy_school_absence' as indicator_id,
        sum(absence.absence_days) as numerator,
        sum(absence.school_days) as denominator
    from {{ ref('stg_children_youth__school_absence') }} as absence
    inner join person_months
        on
            absence.period = person_months.period
            and absence.person_key = person_months.person_key
    group by person_months.area_id, absence.period
    having sum(absence.school_days) > 0
),

move_outs_by_month as (
    -- Tenancies of the housing system that ended in their delivery month.
    select
        tenancies.period,
        coalesce(addresses.area_id, 'outside') as area_id,
        count(*) as move_outs
    from {{ ref('stg_housing__tenancies') }} as tenancies
    left join {{ ref('stg_population__addresses') }} as addresses
        on
            tenancies.period = addresses.period
            and tenancies.address_id = addresses.address_id
    where tenancies.move_out_date between tenancies.period and {{ month_end('tenancies.period') }}
    group by tenancies.period, coalesce(addresses.area_id, 'outside')
),

housing_months as (
    -- Months with a housing delivery, for the social-housing areas the system covers.
    select
        area_months.area_id,
        area_months.period,
        area_months.dwellings,
        coalesce(move_outs_by_month.move_outs, 0) as move_outs
    from area_months
    inner join delivered_months
        on
            area_months.period = delivered_months.period
            and delivered_months.system = 'housing'
            and delivered_months.entity = 'tenancies'
    left join move_outs_by_month
        on
            area_months.period = move_outs_by_month.period
            and area_months.area_id = move_outs_by_month.area_id
    where area_months.area_id != 'outside'
),

housing_rolling as (
    select
        area_id,
        period,
        dwellings,
        sum(move_outs) over rolling_year as move_outs_12m,
        count(*) over rolling_year as months_in_window
    from housing_months
    window rolling_year as (
        partition by area_id
        order by period
        range between interval '11 months' preceding and current row
    )
),

hou_turnover as (
    select
        area_id,
        period,
        'hou_turnover' as indicator_id,
        move_outs_12m as numerator,
        dwellings as denominator
    from housing_rolling
    where months_in_window = 12
),

visits_by_month as (
    select
        person_months.area_id,
        visits.period,
        count(*) as offered,
        count(*) filter (where visits.accepted) as accepted
    from {{ ref('stg_health__home_visits') }} as visits
    inner join person_months
        on
            visits.period = person_months.period
            and visits.person_key = person_months.person_key
    group by person_months.area_id, visits.period
),

health_months as (
    select
        area_months.area_id,
        area_months.period,
        coalesce(visits_by_month.offered, 0) as offered,
        coalesce(visits_by_month.accepted, 0) as accepted
    from area_months
    inner join delivered_months
        on
            area_months.period = delivered_months.period
            and delivered_months.system = 'health'
            and delivered_months.entity = 'home_visits'
    left join visits_by_month
        on
            area_months.period = visits_by_month.period
            and area_months.area_id = visits_by_month.area_id
),

health_rolling as (
    select
        area_id,
        period,
        sum(accepted) over rolling_year as accepted_12m,
        sum(offered) over rolling_year as offered_12m,
        count(*) over rolling_year as months_in_window
    from health_months
    window rolling_year as (
        partition by area_id
        order by period
        range between interval '11 months' preceding and current row
    )
),

hea_home_visit_uptake as (
    select
        area_id,
        period,
        'hea_home_visit_uptake' as indicator_id,
        accepted_12m as numerator,
        offered_12m as denominator
    from health_rolling
    where months_in_window = 12 and offered_12m > 0
),

pop_residents as (
    select
        area_id,
        period,
        'pop_residents' as indicator_id,
        residents as numerator,
        null as denominator
    from area_months
),

indicators as (
    select * from emp_outside_work_edu
    union all
    select * from cy_school_absence
    union all
    select * from hou_turnover
    union all
    select * from hea_home_visit_uptake
    union all
    select * from pop_residents
),

rounded as (
    -- Six decimals: FTE sums are floating point, and their last bits depend on the order
    -- of summation; rounding makes every rebuild give identical marts.
    select
        area_id,
        period,
        indicator_id,
        cast(denominator as double) as denominator,
        cast(cast(numerator as decimal(18, 6)) as double) as numerator
    from indicators
)

select
    area_id,
    period,
    indicator_id,
    numerator,
    denominator,
    case
        when denominator is null then numerator
        when denominator > 0 then numerator / denominator
    end as value
from rounded
