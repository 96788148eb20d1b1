-- Children and youth indicators per area and month (unsuppressed): school absence,
-- worrying absence, notifications and SSP concerns (rolling 12 months), daycare 1-5.
-- Children count in the area they live in on the first of the month.
-- Not materialised: each use below then reads int_person_months with its own filters and
-- the planner's row estimates, instead of one spilled copy of every person-month.
with person_months as not materialized (
    -- With the 2 months before the refresh window: an unlawful-absence quarter ending in
    -- it pools them. The rolling windows need no more: they count the children living in
    -- the area in the window's last month, and their cases come from the staging views.
    select * from {{ ref('int_person_months') }}
    where {{ in_refresh_window('period', lookback_months=2) }}
),

pupils as (
    select
        person_months.area_id,
        absence.period,
        absence.person_key,
        absence.school_days,
        absence.absence_days,
        absence.unlawful_days
    from {{ ref('stg_children_youth__school_absence') }} as absence
    inner join person_months
        on
            absence.period = person_months.period
            and absence.person_key = person_months.person_key
    where absence.school_days > 0
),

quarters as (
    -- Unlawful absence is judged per quarter: the pupil's months pooled, in the area the
    -- pupil lived in at the quarter's last month; only complete quarters (school_months).
    select
        person_key,
        date_trunc('quarter', period) as quarter_start,
        sum(unlawful_days) as unlawful_days,
        sum(school_days) as school_days,
        count(distinct period) as months
    from pupils
    group by person_key, date_trunc('quarter', period)
),

school_months as (
    -- The months of each quarter with school (never July): a pupil's quarter is complete
    -- with a row in each of them, so the quarter ending in September is judged on August
    -- and September.
    select
        date_trunc('quarter', period) as quarter_start,
        count(distinct period) as months
    from pupils
    group by date_trunc('quarter', period)
),

quarter_ends as (
    select
        pupils.area_id,
        pupils.period,
        quarters.unlawful_days,
        quarters.school_days
    from pupils
    inner join quarters
        on
            pupils.person_key = quarters.person_key
            and date_trunc('quarter', pupils.period) = quarters.quarter_start
    inner join school_months
        on
            quarters.quarter_start = school_months.quarter_start
            and quarters.months = school_months.months
    where date_part('month', pupils.period) in (3, 6, 9, 12)
),

cases as (
    -- Children with a notification, and youths with an SSP concern, by month: they count
    -- in the area they live in at the end of each window (people_with_cases_12_months).
    select
        period,
        person_key,
        'notification' as kind
    from {{ ref('stg_children_youth__notifications') }}
    union all
    select
        period,
        person_key,
        'ssp' as kind
    from {{ ref('stg_children_youth__ssp_concerns') }}
),

notification_months as (
    {{ delivered_area_months('children_youth', 'notifications') }}
),

ssp_months as (
    {{ delivered_area_months('children_youth', 'ssp_concerns') }}
),

rolling_cases as (
    {{ people_with_cases_12_months(
        'notification_months', 'cases', 'person_months', 'notification',
        'cy_notifications', 0, 17
    ) }}
    union all
    {{ people_with_cases_12_months(
        'ssp_months', 'cases', 'person_months', 'ssp', 'cy_ssp_concerns', 10, 17
    ) }}
),

daycare_months as (
    {{ delivered_area_months('children_youth', 'daycare') }}
),

daycare as (
    select
        person_months.area_id,
        person_months.period,
        'cy_daycare_1_5' as indicator_id,
        count(enrolled.person_key) as numerator,
        count(*) as denominator
    from person_months
    inner join daycare_months as months
        on
            person_months.period = months.period
            and person_months.area_id = months.area_id
    left join {{ ref('stg_children_youth__daycare') }} as enrolled
        on
            person_months.period = enrolled.period
            and person_months.person_key = enrolled.person_key
    where person_months.age between 1 and 5
    group by person_months.area_id, person_months.period
),

indicators as (
    select
        area_id,
        period,
        'cy_school_absence' as indicator_id,
        sum(absence_days) as numerator,
        sum(school_days) as denominator,
        cast(null as bigint) as month_numerator,
        cast(null as bigint) as month_denominator,
        cast(null as bigint) as first_month_numerator,
        cast(null as bigint) as first_month_denominator
    from pupils
    group by area_id, period

    union all

    select
        area_id,
        period,
        'cy_worrying_absence' as indicator_id,
        -- Tenths of days summed as doubles (0.7 + 0.2 < 0.1 * 9): 'at least' allows for it.
        count(*) filter (where absence_days >= 0.1 * school_days - 1e-9) as numerator,
        count(*) as denominator,
        cast(null as bigint) as month_numerator,
        cast(null as bigint) as month_denominator,
        cast(null as bigint) as first_month_numerator,
        cast(null as bigint) as first_month_denominator
    from pupils
    group by area_id, period

    union all

    select * from rolling_cases

    union all

    select
        area_id,
        period,
        'cy_unlawful_absence' as indicator_id,
        count(*) filter (where unlawful_days >= 0.15 * school_days - 1e-9) as numerator,
        count(*) as denominator,
        cast(null as bigint) as month_numerator,
        cast(null as bigint) as month_denominator,
        cast(null as bigint) as first_month_numerator,
        cast(null as bigint) as first_month_denominator
    from quarter_ends
    group by area_id, period

    union all

    select
        *,
        {{ no_month_counts() }}
    from daycare
)

select * from indicators
where {{ in_refresh_window('period') }}
