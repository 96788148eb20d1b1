-- Housing indicators per housing area and month (unsuppressed). The housing system
-- covers the social-housing dwellings of the areas, so 'outside' has no housing rows.
with addresses as (
    -- With the 11 months before the refresh window: the rolling windows read them.
    select * from {{ ref('stg_population__addresses') }}
    where {{ in_refresh_window('period', lookback_months=11) }}
),

tenancies as (
    -- With the 12 months before the refresh window: a letting looks a month back.
    select * from {{ ref('stg_housing__tenancies') }}
    where {{ in_refresh_window('period', lookback_months=12) }}
),

lettings as (
    -- A tenancy is let in the first month whose delivery holds it (sources/housing.py):
    -- its move-in month, or the month a late registration brought it in, when it was not
    -- in the delivered month before. A source's first month has no month before: only
    -- its move-ins count there.
    select
        tenancies.period,
        tenancies.address_id,
        tenancies.letting_channel
    from tenancies
    left join {{ ref('stg_extract__deliveries') }} as month_before
        on
            month_before.system = 'housing'
            and month_before.entity = 'tenancies'
            and month_before.period
            = cast({{ dbt.dateadd('month', -1, 'tenancies.period') }} as date)
    left join tenancies as held_before
        on
            tenancies.tenancy_id = held_before.tenancy_id
            and month_before.period = held_before.period
    where
        tenancies.move_in_date >= tenancies.period
        or (month_before.period is not null and held_before.tenancy_id is null)
),

events as (
    -- Every housing event with its kind, dated by its delivery month.
    select
        period,
        address_id,
        'move_out' as kind
    from tenancies
    -- A move-out is delivered once, in the month by whose end it had happened and was
    -- registered (sources/housing.py): the one delivery that shows its date.
    where move_out_date is not null
    union all
    select
        period,
        address_id,
        case
            when letting_channel = 'kommunal_anvisning' then 'municipal_letting'
            else 'other_letting'
        end as kind
    from lettings
    union all
    select
        period,
        address_id,
        'complaint' as kind
    from {{ ref('stg_housing__complaints') }}
    union all
    select
        period,
        address_id,
        'eviction' as kind
    from {{ ref('stg_housing__evictions') }}
    union all
    select
        period,
        address_id,
        'vacant' as kind
    from {{ ref('stg_housing__vacancies') }}
),

event_counts as (
    -- Counts per area and month of everything the indicators add up.
    select
        addresses.area_id,
        events.period,
        count(*) filter (where events.kind = 'move_out') as move_outs,
        count(*) filter (where events.kind like '%letting') as lettings,
        count(*) filter (where events.kind = 'municipal_letting') as municipal_lettings,
        count(*) filter (where events.kind = 'complaint') as complaints,
        count(*) filter (where events.kind = 'eviction') as evictions,
        count(*) filter (where events.kind = 'vacant') as vacant
    from events
    inner join addresses
        on
            events.period = addresses.period
            and events.address_id = addresses.address_id
    group by addresses.area_id, events.period
),

delivered_months as (
    {{ delivered_area_months('housing', 'tenancies') }}
),

monthly as (
    -- Every delivered month of every housing area, with zero where nothing happened.
    select
        months.area_id,
        months.period,
        months.dwellings,
        months.residents,
        coalesce(counts.move_outs, 0) as move_outs,
        coalesce(counts.lettings, 0) as lettings,
        coalesce(counts.municipal_lettings, 0) as municipal_lettings,
        coalesce(counts.complaints, 0) as complaints,
        coalesce(counts.evictions, 0) as evictions,
        coalesce(counts.vacant, 0) as vacant
    from delivered_months as months
    left join event_counts as counts
        on
            months.area_id = counts.area_id
            and months.period = counts.period
    where
        months.area_id != 'outside'
        and {{ in_refresh_window('months.period', lookback_months=11) }}
),

indicators as (
    {{ rolling_12_months('monthly', 'hou_turnover', 'move_outs', 'dwellings') }}
    union all
    {{ rolling_12_months('monthly', 'hou_complaints', 'complaints', 'residents') }}
    union all
    {{ rolling_12_months('monthly', 'hou_evictions', 'evictions', 'dwellings - vacant') }}
    union all
{{ rolling_12_months(
    'monthly', 'hou_municipal_allocation', 'municipal_lettings', 'lettings', sum_denominator=true
) }}
    union all
    select
        area_id,
        period,
        'hou_vacancy' as indicator_id,
        vacant as numerator,
        dwellings as denominator,
        cast(null as bigint) as month_numerator,
        cast(null as bigint) as month_denominator,
        cast(null as bigint) as first_month_numerator,
        cast(null as bigint) as first_month_denominator
    from monthly
)

select * from indicators
where {{ in_refresh_window('period') }}
