-- The published indicator fact: every area's value and the municipality's, under
-- disclosure control that protects the published tables as one linked system
-- (README, "Disclosure control"; thresholds in the seed disclosure_rules):
--   1. primary: a cell whose count, complement or denominator is small;
--   2. time: a rolling 12-month series whose overlapping windows would pin its monthly
--      counts publishes only the windows of quarter ends, or, if those would pin its
--      quarterly counts, of December (which do not overlap);
--   3. stocks: a stock series (seed disclosure_stock_flows: vacant dwellings, which the
--      published move-out and letting windows carry from month to month) with a hidden
--      cell is hidden in every month, the municipality's when any area's is;
--   4. links: a cell sharing a component with a hidden cell of the same area and month
--      (seed disclosure_links);
--   5. totals: hidden area cells of a published municipality total are at least two and
--      together hold at least the protection level (numerators and complements).
-- Steps 3 to 5 run three times, since each can expose cells for the others. The auditor
-- in quality/disclosure_audit.py proves the result with linear programs on every publish
-- (a copy that still exposes a cell is not published).
-- A hidden cell carries no numerator, denominator or value and one reason for all.
-- Rebuilt whole: a series' time rule and the totals look across all months and areas.
{{ config(materialized='table') }}

{%- set cell_columns = [
    'area_id', 'period', 'indicator_id', 'numerator', 'denominator', 'value',
    'disclosure_count', 'disclosure_population',
] %}

with restricted as (
    select * from {{ ref('restricted_area_indicator_month') }}
),

rules as (
    select * from {{ ref('disclosure_rules') }}
),

catalogue as (
    select
        catalogue.indicator_id,
        catalogue.rolling_window,
        catalogue.unit = 'pct' as is_proportion,
        coalesce(catalogue.min_denominator, rules.min_denominator) as min_denominator
    from {{ ref('indicator_catalogue') }} as catalogue
    cross join rules
),

municipality as (
    -- The areas (with 'outside') partition the municipality, so the total is their sum;
    -- summed as decimals (numerators carry six decimals) so every rebuild is identical.
    select
        'municipality' as area_id,
        period,
        indicator_id,
        numerator,
        denominator,
        disclosure_count,
        disclosure_population,
        case
            when denominator is null then numerator
            when denominator > 0 then numerator / denominator
        end as value
    from (
        select
            period,
            indicator_id,
            cast(sum(cast(numerator as decimal(18, 6))) as double precision) as numerator,
            cast(sum(cast(denominator as decimal(18, 6))) as double precision)
                as denominator,
            sum(disclosure_count) as disclosure_count,
            sum(disclosure_population) as disclosure_population
        from restricted
        group by period, indicator_id
    ) as sums
),

series_months as (
    -- The monthly counts behind every rolling series (area x indicator), each month
    -- once: the newest month of each window and the oldest month of the first windows.
    -- The municipality's series is the sum of the areas'.
    select
        area_id,
        indicator_id,
        period as month_start,
        month_numerator as numerator,
        month_denominator as denominator
    from restricted
    where month_numerator is not null
    union
    select
        area_id,
        indicator_id,
        cast({{ dbt.dateadd('month', -11, 'period') }} as date) as month_start,
        first_month_numerator as numerator,
        first_month_denominator as denominator
    from restricted
    where first_month_numerator is not null
),

all_series_months as (
    select * from series_months
    union all
    select
        'municipality' as area_id,
        indicator_id,
        month_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from series_months
    group by indicator_id, month_start
),

series_buckets as (
    -- Each series' monthly counts, and its quarterly sums: windows published only at
    -- quarter ends differ by whole quarters, so they pin quarterly counts instead.
    select
        area_id,
        indicator_id,
        'month' as bucket,
        date_part('month', month_start) as position_in_year,
        numerator,
        denominator
    from all_series_months
    union all
    select
        area_id,
        indicator_id,
        'quarter' as bucket,
        date_part('quarter', month_start) as position_in_year,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from all_series_months
    group by
        area_id, indicator_id, date_trunc('quarter', month_start), date_part('quarter', month_start)
),

position_minima as (
    -- Published overlapping windows tell an attacker each month's count up to one
    -- unknown per calendar month (W(t) - W(t-1) = c(t) - c(t-12)), so every monthly count
    -- is known to within the sum over calendar months of the smallest count in that
    -- calendar month (the series' slack); windows at quarter ends likewise pin quarterly
    -- counts to within the quarterly slack. Computed as if every window were published.
    select
        area_id,
        indicator_id,
        bucket,
        min(numerator) as min_numerator,
        max(numerator) as max_numerator,
        min(denominator) as min_denominator,
        max(denominator) as max_denominator,
        min(denominator - numerator) as min_complement,
        max(denominator - numerator) as max_complement
    from series_buckets
    group by area_id, indicator_id, bucket, position_in_year
),

too_little_slack as (
    -- Series and bucket with too little slack in a count that is not always zero.
    select
        minima.area_id,
        minima.indicator_id,
        minima.bucket
    from position_minima as minima
    inner join catalogue on minima.indicator_id = catalogue.indicator_id
    cross join rules
    group by minima.area_id, minima.indicator_id, minima.bucket, rules.protection_level
    having
        (
            sum(minima.min_numerator) < rules.protection_level
            and max(minima.max_numerator) > 0
        )
        or (
            sum(minima.min_denominator) < rules.protection_level
            and max(minima.max_denominator) > 0
        )
        or (
            bool_or(catalogue.is_proportion)
            and sum(minima.min_complement) < rules.protection_level
            and max(minima.max_complement) > 0
        )
),

series_cadence as (
    -- Monthly slack too small: windows at quarter ends only; quarterly slack too small
    -- as well: December windows only (they do not overlap).
    select
        area_id,
        indicator_id,
        case when bool_or(bucket = 'quarter') then 12 else 3 end as every_months
    from too_little_slack
    group by area_id, indicator_id
),

cells as (
    select {{ cell_columns | join(', ') }} from restricted
    union all
    select {{ cell_columns | join(', ') }} from municipality
),

step_primary_and_time as (
    select
        cells.area_id,
        cells.period,
        cells.indicator_id,
        cells.numerator,
        cells.denominator,
        cells.value,
        catalogue.is_proportion,
        {{ is_sensitive(
            'cells.disclosure_count', 'cells.disclosure_population',
            'catalogue.min_denominator'
        ) }}
        or coalesce(
            cast(date_part('month', cells.period) as integer) % cadence.every_months != 0,
            false
        ) as hidden
    from cells
    inner join catalogue on cells.indicator_id = catalogue.indicator_id
    cross join rules
    left join series_cadence as cadence
        on
            cells.area_id = cadence.area_id
            and cells.indicator_id = cadence.indicator_id
),

{#- Stocks, links and totals can each expose cells for the others: three rounds. -#}
{%- set rounds = 3 %}
{%- set ns = namespace(previous='step_primary_and_time') %}
{%- for round in range(1, rounds + 1) %}
    step_stocks_{{ round }} as (
        {{ hide_stock_series(ns.previous) }}
    ),

    step_links_{{ round }} as (
        {{ hide_linked('step_stocks_' ~ round) }}
    ),

    step_totals_{{ round }} as (
        {{ protect_totals('step_links_' ~ round) }}
    ),
    {%- set ns.previous = 'step_totals_' ~ round %}
{% endfor %}

protected as (
    select * from {{ ns.previous }}
),

municipality_values as (
    select
        period,
        indicator_id,
        case when not hidden then value end as municipality_value
    from protected
    where area_id = 'municipality'
)

select
    protected.area_id,
    protected.period,
    protected.indicator_id,
    municipality_values.municipality_value,
    protected.hidden as suppressed,
    case when protected.hidden then 'disclosure_control' end as suppression_reason,
    case when not protected.hidden then protected.numerator end as numerator,
    case when not protected.hidden then protected.denominator end as denominator,
    case when not protected.hidden then protected.value end as value
from protected
inner join municipality_values
    on
        protected.period = municipality_values.period
        and protected.indicator_id = municipality_values.indicator_id
