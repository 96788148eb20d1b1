-- Housing indicators per housing area and month (unsuppressed). The housing system
-- covers the social-housing dwellings of the areas, so 'outside' has no housing rows.
with addresses as (
    select * from {{ ref('stg_population__addresses') }}
),

tenancies as (
    select
        tenancies.*,
        addresses.area_id
    from {{ ref('stg_housing__tenancies') }} as tenancies
    inner join addresses
        on
            tenancies.period = addresses.period
            and tenancies.address_id = addresses.address_id
),

events as (
    -- Counts per area and month of everything the rolling indicators add up.
    select
        area_id,
        period,
        count(*) filter (
            where move_out_date between period and {{ month_end('period') }}
        ) as move_outs,
        count(*) filter (where move_in_date between period and {{ month_end('period') }})
            as lettings,
        count(*) filter (
            where
            move_in_date between period and {{ month_end('period') }}
            and letting_channel = 'kommunal_anvisning'
        ) as municipal_lettings,
        0 as complaints,
        0 as evictions,
        0 as vacant
    from tenancies
    group by area_id, period
    union all
    select
        addresses.area_id,
        complaints.period,
        0 as move_outs,
        0 as lettings,
        0 as municipal_lettings,
        count(*) as complaints,
        0 as evictions,
        0 as vacant
    from {{ ref('stg_housing__complaints') }} as complaints
    inner join addresses
        on
            complaints.period = addresses.period
            and complaints.address_id = addresses.address_id
    group by addresses.area_id, complaints.period
    union all
    select
        addresses.area_id,
        evictions.period,
        0 as move_outs,
        0 as lettings,
        0 as municipal_lettings,
        0 as complaints,
        count(*) as evictions,
        0 as vacant
    from {{ ref('stg_housing__evictions') }} as evictions
    inner join addresses
        on
            evictions.period = addresses.period
            and evictions.address_id = addresses.address_id
    group by addresses.area_id, evictions.period
    union all
    select
        addresses.area_id,
        vacancies.period,
        0 as move_outs,
        0 as lettings,
        0 as municipal_lettings,
        0 as complaints,
        0 as evictions,
        count(*) as vacant
    from {{ ref('stg_housing__vacancies') }} as vacancies
    inner join addresses
        on
            vacancies.period = addresses.period
            and vacancies.address_id = addresses.address_id
    group by addresses.area_id, vacancies.period
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
        coalesce(sum(events.move_outs), 0) as move_outs,
        coalesce(sum(events.lettings), 0) as lettings,
        coalesce(sum(events.municipal_lettings), 0) as municipal_lettings,
        coalesce(sum(events.complaints), 0) as complaints,
        coalesce(sum(events.evictions), 0) as evictions,
        coalesce(sum(events.vacant), 0) as vacant
    from delivered_months as months
    left join events
        on
            months.area_id = events.area_id
            and months.period = events.period
    where months.area_id != 'outside'
    group by months.area_id, months.period, months.dwellings, months.residents
)

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
    dwellings as denominator
from monthly
