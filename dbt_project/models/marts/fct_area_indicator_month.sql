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
--      together hold at least the protection level (numerators and complements); so are
--      the cells the live copy published and this one withdraws (restated), if the
--      total was published in both.
-- Steps 3 to 5 run three times, since each can expose cells for the others. The auditor
-- in quality/disclosure_audit.py proves the result with linear programs on every publish
-- (a copy that still exposes a cell is not published).
-- Memory: whoever keeps earlier copies holds all of them, so a cell the live copy
-- publishes is published again while its value is unchanged (no step hides it), and the
-- new copy holds every earlier one: the audit of the new copy is the audit of them all.
-- The steps choose among the other cells; the time rule waits a year after a series'
-- published windows off its cadence, and a stock's month implied by the newest month's
-- flows is judged with its series before it is published. A cell the live copy hid
-- stays hidden, and where a restatement changed a published cell, those the live copy
-- published and this one withdraws are protected like hidden cells of a total (the
-- attacker holds their old values and the change of the total).
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

live_copy as (
    -- The cells of the live published copy, copied in before every marts build
    -- (quality/disclosure_memory.py).
    select * from {{ source('publication', 'published_cells') }}
),

published_before as (
    -- The cells the live copy shows, with their values: public already.
    select * from live_copy
    where not suppressed
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

newest_stock_months as (
    -- Each stock's newest month (another source may already be a month further on).
    select
        relation.relation_id,
        max(restricted.period) as period
    from restricted
    inner join {{ ref('disclosure_stock_flows') }} as relation
        on restricted.indicator_id = relation.indicator_id and relation.role = 'stock'
    group by relation.relation_id
),

flows_in_newest_month as (
    -- Each stock flow's count in the stock's newest month (seed disclosure_stock_flows):
    -- the month's own count where the indicator is summed in rolling windows.
    select
        flows.relation_id,
        restricted.area_id,
        case flows.role when 'inflow' then 1 else -1 end * case
            when flows.component = 'numerator' and catalogue.rolling_window is not null
                then restricted.month_numerator
            when flows.component = 'numerator' then restricted.numerator
            when catalogue.rolling_window = 'both' then restricted.month_denominator
            else restricted.denominator
        end as stock_change
    from restricted
    inner join {{ ref('disclosure_stock_flows') }} as flows
        on restricted.indicator_id = flows.indicator_id and flows.role != 'stock'
    inner join newest_stock_months as newest
        on flows.relation_id = newest.relation_id and restricted.period = newest.period
    inner join catalogue on restricted.indicator_id = catalogue.indicator_id
),

next_month_stocks as (
    -- A stock on the 1st of the month after its newest is the newest month's plus its
    -- inflow less its outflow: published flows give it away before its own month is
    -- delivered, so it is judged now (with its denominator as of the newest month).
    select
        stock.area_id,
        cast({{ dbt.dateadd('month', 1, 'stock.period') }} as date) as period,
        stock.indicator_id,
        stock.denominator,
        stock.disclosure_population,
        stock.numerator + coalesce(sum(flows.stock_change), 0) as numerator,
        stock.numerator + coalesce(sum(flows.stock_change), 0) as disclosure_count
    from restricted as stock
    inner join {{ ref('disclosure_stock_flows') }} as relation
        on stock.indicator_id = relation.indicator_id and relation.role = 'stock'
    inner join newest_stock_months as newest
        on relation.relation_id = newest.relation_id and stock.period = newest.period
    left join flows_in_newest_month as flows
        on relation.relation_id = flows.relation_id and stock.area_id = flows.area_id
    group by
        stock.area_id, stock.period, stock.indicator_id, stock.numerator,
        stock.denominator, stock.disclosure_population
),

area_cells as (
    select
        {{ cell_columns | join(', ') }},
        false as implied
    from restricted
    union all
    select
        area_id,
        period,
        indicator_id,
        numerator,
        denominator,
        numerator / nullif(denominator, 0) as value,
        disclosure_count,
        disclosure_population,
        true as implied
    from next_month_stocks
),

municipality as (
    -- The areas (with 'outside') partition the municipality, so the total is their sum;
    -- summed as decimals (numerators carry six decimals) so every rebuild is identical.
    -- The national statistics' file has no 'outside' row: for the stat_* ratios the total
    -- is the housing areas' together, not the whole municipality's (README).
    select
        'municipality' as area_id,
        period,
        indicator_id,
        numerator,
        denominator,
        disclosure_count,
        disclosure_population,
        implied,
        case
            when denominator is null then numerator
            when denominator > 0 then numerator / denominator
        end as value
    from (
        select
            period,
            indicator_id,
            implied,
            cast(sum(cast(numerator as decimal(18, 6))) as double precision) as numerator,
            cast(sum(cast(denominator as decimal(18, 6))) as double precision)
                as denominator,
            sum(disclosure_count) as disclosure_count,
            sum(disclosure_population) as disclosure_population
        from area_cells
        group by period, indicator_id, implied
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

published_off_cadence as (
    -- The newest window a series published off its cadence, in a copy made before its
    -- slack fell: the monthly counts around it are pinned as far as that copy pinned
    -- them, and a window of the new cadence less it would pin them further. A window
    -- twelve months on shares no month with it.
    select
        published_before.area_id,
        published_before.indicator_id,
        max(published_before.period) as period
    from published_before
    inner join series_cadence as cadence
        on
            published_before.area_id = cadence.area_id
            and published_before.indicator_id = cadence.indicator_id
    where cast(date_part('month', published_before.period) as integer) % cadence.every_months != 0
    group by published_before.area_id, published_before.indicator_id
),

all_cells as (
    select {{ cell_columns | join(', ') }}, implied from area_cells
    union all
    select {{ cell_columns | join(', ') }}, implied from municipality
),

cells as (
    -- frozen: published before with the same values (a restated cell is judged afresh).
    select
        all_cells.*,
        published_before.area_id is not null as was_published,
        coalesce(hidden_before.suppressed, false) as hidden_before,
        coalesce(
            abs(all_cells.numerator - published_before.numerator) < 0.0000005
            and (
                all_cells.denominator is null and published_before.denominator is null
                or abs(all_cells.denominator - published_before.denominator) < 0.0000005
            ),
            false
        ) as frozen
    from all_cells
    left join published_before
        on
            all_cells.area_id = published_before.area_id
            and all_cells.period = published_before.period
            and all_cells.indicator_id = published_before.indicator_id
    left join live_copy as hidden_before
        on
            all_cells.area_id = hidden_before.area_id
            and all_cells.period = hidden_before.period
            and all_cells.indicator_id = hidden_before.indicator_id
            and hidden_before.suppressed
),

hidden_gone as (
    -- Cells the live copy hid that this build no longer holds (an area gone from a
    -- month's register): what they hide with them (links) stays hidden.
    select
        live_copy.area_id,
        live_copy.period,
        live_copy.indicator_id
    from live_copy
    left join all_cells
        on
            live_copy.area_id = all_cells.area_id
            and live_copy.period = all_cells.period
            and live_copy.indicator_id = all_cells.indicator_id
    where live_copy.suppressed and all_cells.area_id is null
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
        cells.implied,
        cells.frozen,
        cells.was_published,
        not cells.frozen and (
            {{ is_sensitive(
                'cells.disclosure_count', 'cells.disclosure_population',
                'catalogue.min_denominator'
            ) }}
            or coalesce(
                cast(date_part('month', cells.period) as integer) % cadence.every_months != 0,
                false
            )
            or coalesce(
                cells.period < {{ dbt.dateadd('month', 12, 'off_cadence.period') }}, false
            )
            -- the areas' windows add up to the municipality's: they wait with it
            or coalesce(
                cells.period < {{ dbt.dateadd('month', 12, 'municipality_off_cadence.period') }},
                false
            )
            -- a cell the live copy hid stays hidden: only a restatement changes its
            -- value, and shown then, it would complete the old copy's hidden total (taken
            -- as unchanged), or have its old value bounded by what moved, which other
            -- indicators show (an address correction changes the residents' counts while
            -- the moved youth's indicator keeps every published cell: the twenty-fourth
            -- session's two-copy attack)
            or cells.hidden_before
        ) as hidden
    from cells
    inner join catalogue on cells.indicator_id = catalogue.indicator_id
    cross join rules
    left join series_cadence as cadence
        on
            cells.area_id = cadence.area_id
            and cells.indicator_id = cadence.indicator_id
    left join published_off_cadence as off_cadence
        on
            cells.area_id = off_cadence.area_id
            and cells.indicator_id = off_cadence.indicator_id
    left join published_off_cadence as municipality_off_cadence
        on
            municipality_off_cadence.area_id = 'municipality'
            and cells.indicator_id = municipality_off_cadence.indicator_id
),

{#- Stocks, links and totals can each expose cells for the others: three rounds. -#}
{%- set rounds = 3 %}
{%- set ns = namespace(previous='step_primary_and_time') %}
{%- for round in range(1, rounds + 1) %}
    step_stocks_{{ round }} as (
        {{ hide_stock_series(ns.previous) }}
    ),

    step_stock_flows_{{ round }} as (
        {{ hide_carrying_flows('step_stocks_' ~ round) }}
    ),

    step_links_{{ round }} as (
        {{ hide_linked('step_stock_flows_' ~ round, 'hidden_gone') }}
    ),

    step_totals_{{ round }} as (
        {{ protect_totals('step_links_' ~ round) }}
    ),

    step_withdrawn_{{ round }} as (
        {{ protect_totals('step_totals_' ~ round, withdrawn=true) }}
    ),
    {%- set ns.previous = 'step_withdrawn_' ~ round %}
{% endfor %}

protected as (
    select * from {{ ns.previous }}
    where not implied
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
