-- Health indicators per area and month (unsuppressed), all over rolling 12 months:
-- preventive home visits accepted, smoking-cessation starts per adult, rehabilitation
-- completed of those ended. People count in the area they lived in that month.
-- Not materialised: each use below then reads int_person_months with its own filters and
-- the planner's row estimates, instead of one spilled copy of every person-month.
with person_months as not materialized (
    -- With the 11 months before the refresh window: the rolling windows read them.
    select * from {{ ref('int_person_months') }}
    where {{ in_refresh_window('period', lookback_months=11) }}
),

events as (
    -- Every health event with its kind and whether it went well, by delivery month.
    select
        period,
        person_key,
        'visit_offered' as kind,
        accepted as succeeded
    from {{ ref('stg_health__home_visits') }}
    union all
    select
        period,
        person_key,
        'smoking_start' as kind,
        true as succeeded
    from {{ ref('stg_health__smoking_cessation') }}
    union all
    select
        period,
        person_key,
        'rehab_ended' as kind,
        completed as succeeded
    from {{ ref('stg_health__rehabilitation') }}
    where end_date is not null
),

event_counts as (
    select
        person_months.area_id,
        events.period,
        count(*) filter (where events.kind = 'visit_offered') as offered,
        count(*) filter (where events.kind = 'visit_offered' and events.succeeded) as accepted,
        -- the starts of the adults the rate divides by
        count(*) filter (where events.kind = 'smoking_start' and person_months.age >= 18)
            as smoking_starts,
        count(*) filter (where events.kind = 'rehab_ended') as rehab_ended,
        count(*) filter (where events.kind = 'rehab_ended' and events.succeeded)
            as rehab_completed
    from events
    inner join person_months
        on
            events.period = person_months.period
            and events.person_key = person_months.person_key
    group by person_months.area_id, events.period
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
        coalesce(counts.offered, 0) as offered,
        coalesce(counts.accepted, 0) as accepted,
        coalesce(counts.smoking_starts, 0) as smoking_starts,
        coalesce(counts.rehab_ended, 0) as rehab_ended,
        coalesce(counts.rehab_completed, 0) as rehab_completed
    from delivered_months as months
    left join adults
        on
            months.area_id = adults.area_id
            and months.period = adults.period
    left join event_counts as counts
        on
            months.area_id = counts.area_id
            and months.period = counts.period
    where {{ in_refresh_window('months.period', lookback_months=11) }}
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
where denominator > 0 and {{ in_refresh_window('period') }}
