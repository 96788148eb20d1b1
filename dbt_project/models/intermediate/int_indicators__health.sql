-- Health indicators per area and month (unsuppressed), all over rolling 12 months:
-- preventive home visits accepted, smoking-cessation starts per adult, rehabilitation
-- completed of those ended. People count in the area they lived in that month.
with person_months as (
    select * from {{ ref('int_person_months') }}
),

events as (
    select
        person_months.area_id,
        visits.period,
        count(*) as offered,
        count(*) filter (where visits.accepted) as accepted,
        0 as smoking_starts,
        0 as rehab_ended,
        0 as rehab_completed
    from {{ ref('stg_health__home_visits') }} as visits
    inner join person_months
        on
            visits.period = person_months.period
            and visits.person_key = person_months.person_key
    group by person_months.area_id, visits.period
    union all
    select
        person_months.area_id,
        courses.period,
        0 as offered,
        0 as accepted,
        count(*) as smoking_starts,
        0 as rehab_ended,
        0 as rehab_completed
    from {{ ref('stg_health__smoking_cessation') }} as courses
    inner join person_months
        on
            courses.period = person_months.period
            and courses.person_key = person_months.person_key
    group by person_months.area_id, courses.period
    union all
    select
        person_months.area_id,
        rehab.period,
        0 as offered,
        0 as accepted,
        0 as smoking_starts,
        count(*) as rehab_ended,
        count(*) filter (where rehab.completed) as rehab_completed
    from {{ ref('stg_health__rehabilitation') }} as rehab
    inner join person_months
        on
            rehab.period = person_months.period
            and rehab.person_key = person_months.person_key
    where rehab.end_date is not null
    group by person_months.area_id, rehab.period
),

delivered_months as (
    {{ delivered_area_months('health', 'home_visits') }}
),

adults as (
    select
        area_id,
        period,
        count(*) as adults
    from person_months
    where age >= 18
    group by area_id, period
),

monthly as (
    select
        months.area_id,
        months.period,
        coalesce(adults.adults, 0) as adults,
        coalesce(sum(events.offered), 0) as offered,
        coalesce(sum(events.accepted), 0) as accepted,
        coalesce(sum(events.smoking_starts), 0) as smoking_starts,
        coalesce(sum(events.rehab_ended), 0) as rehab_ended,
        coalesce(sum(events.rehab_completed), 0) as rehab_completed
    from delivered_months as months
    left join adults
        on
            months.area_id = adults.area_id
            and months.period = adults.period
    left join events
        on
            months.area_id = events.area_id
            and months.period = events.period
    group by months.area_id, months.period, adults.adults
),

rolling as (
    {{ rolling_12_months(
        'monthly', 'hea_home_visit_uptake', 'accepted', 'offered', sum_denominator=true
    ) }}
    union all
    {{ rolling_12_months('monthly', 'hea_smoking_cessation', 'smoking_starts', 'adults') }}
    union all
    {{ rolling_12_months(
        'monthly', 'hea_rehab_completion', 'rehab_completed', 'rehab_ended', sum_denominator=true
    ) }}
)

select * from rolling
where denominator > 0
