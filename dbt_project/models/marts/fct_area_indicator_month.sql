-- The published indicator fact: every area's value, the municipality's value, and
-- disclosure control. Primary suppression hides small cells; secondary suppression
-- hides the next smallest area cell too when a single suppressed cell could otherwise
-- be recovered by subtracting the published areas from the published municipality total.
-- A suppressed cell has null value and numerator and a reason, never a zero. The rules
-- judge the people behind a value (disclosure_count of disclosure_population), which for
-- rates are the numerator and denominator themselves.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='period',
    on_schema_change='fail',
) }}

{%- set cell_columns = [
    'area_id', 'period', 'indicator_id', 'numerator', 'denominator', 'value',
    'disclosure_count', 'disclosure_population',
] %}

with areas as (
    -- Columns by name: the cells below are a union by position.
    select {{ cell_columns | join(', ') }}
    from {{ ref('restricted_area_indicator_month') }}
    where {{ in_refresh_window('period') }}
),

municipality_sums as (
    -- The areas (with 'outside') partition the municipality, so the total is their sum;
    -- summed as decimals (numerators carry six decimals) so every rebuild is identical.
    select
        period,
        indicator_id,
        cast(sum(cast(numerator as decimal(18, 6))) as double precision) as numerator,
        cast(sum(cast(denominator as decimal(18, 6))) as double precision) as denominator,
        sum(disclosure_count) as disclosure_count,
        sum(disclosure_population) as disclosure_population
    from areas
    group by period, indicator_id
),

municipality as (
    select
        'municipality' as area_id,
        period,
        indicator_id,
        numerator,
        denominator,
        case
            when denominator is null then numerator
            when denominator > 0 then numerator / denominator
        end as value,
        disclosure_count,
        disclosure_population
    from municipality_sums
),

primary_suppressed as (
    select
        *,
        {{ suppression_reason('disclosure_count', 'disclosure_population') }}
            as primary_reason
    from (
        select {{ cell_columns | join(', ') }} from areas
        union all
        select {{ cell_columns | join(', ') }} from municipality
    ) as cells
),

exposure as (
    -- Per indicator and month: how many area cells are suppressed, and whether the
    -- municipality total that could expose a lone one is published.
    select
        period,
        indicator_id,
        count(*) filter (where area_id != 'municipality' and primary_reason is not null)
            as suppressed_areas,
        bool_or(area_id = 'municipality' and primary_reason is null) as total_published
    from primary_suppressed
    group by period, indicator_id
),

ranked as (
    select
        cells.*,
        exposure.suppressed_areas = 1 and exposure.total_published as needs_secondary,
        row_number() over (
            partition by cells.period, cells.indicator_id, cells.primary_reason is null
            order by
                coalesce(cells.disclosure_population, cells.disclosure_count), cells.area_id
        ) as size_rank
    from primary_suppressed as cells
    inner join exposure
        on
            cells.period = exposure.period
            and cells.indicator_id = exposure.indicator_id
),

flagged as (
    select
        *,
        coalesce(
            primary_reason,
            case
                when needs_secondary and area_id != 'municipality' and size_rank = 1
                    then 'secondary'
            end
        ) as suppression_reason
    from ranked
),

municipality_values as (
    select
        period,
        indicator_id,
        case when suppression_reason is null then value end as municipality_value
    from flagged
    where area_id = 'municipality'
)

select
    flagged.area_id,
    flagged.period,
    flagged.indicator_id,
    flagged.suppression_reason,
    municipality_values.municipality_value,
    case when flagged.suppression_reason is null then flagged.numerator end as numerator,
    case
        when
            flagged.suppression_reason is null
            or flagged.suppression_reason in ('small_numerator', 'small_complement')
            then flagged.denominator
    end as denominator,
    case when flagged.suppression_reason is null then flagged.value end as value,
    flagged.suppression_reason is not null as suppressed
from flagged
inner join municipality_values
    on
        flagged.period = municipality_values.period
        and flagged.indicator_id = municipality_values.indicator_id
