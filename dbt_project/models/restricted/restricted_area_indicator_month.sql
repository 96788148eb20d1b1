-- Every indicator per area and month, UNSUPPRESSED. Restricted: read only by signal
-- detection and the statutory criteria; everything published goes through
-- fct_area_indicator_month. disclosure_count / disclosure_population are the people
-- behind a value that disclosure control judges: numerator and denominator for counts
-- and rates, the underlying people for the ratio indicators.
with monthly_counts as (
    -- Models with rolling windows carry the counts of each window's newest and oldest
    -- month (null for values of a single month).
    select * from {{ ref('int_indicators__children_youth') }}
    union all
    select * from {{ ref('int_indicators__housing') }}
    union all
    select * from {{ ref('int_indicators__health') }}
),

indicators as (
    select
        *,
        numerator as disclosure_count,
        denominator as disclosure_population
    from monthly_counts
    {%- for model, people_counted, people_behind in [
        ('int_indicators__employment', 'numerator', 'denominator'),
        ('int_indicators__population', 'numerator', 'denominator'),
        ('int_indicators__yearly', 'numerator', 'denominator'),
        ('int_indicators__national_ratios', 'disclosure_count', 'disclosure_population'),
    ] %}
        union all
        select
            area_id,
            period,
            indicator_id,
            numerator,
            denominator,
            {{ no_month_counts() }},
            {{ people_counted }} as disclosure_count,
            {{ people_behind }} as disclosure_population
        from {{ ref(model) }}
    {%- endfor %}
),

rounded as (
    -- Six decimals: FTE sums are floating point, and their last bits depend on the order
    -- of summation; rounding makes every rebuild give identical marts.
    select
        area_id,
        period,
        {%- for column in [
            'numerator', 'denominator', 'disclosure_count', 'disclosure_population'
        ] %}
            cast(cast({{ column }} as decimal(18, 6)) as double precision) as {{ column }},
        {%- endfor %}
        indicator_id,
        month_numerator,
        month_denominator,
        first_month_numerator,
        first_month_denominator
    from indicators
    where {{ in_refresh_window('period') }}
)

select
    area_id,
    period,
    indicator_id,
    numerator,
    denominator,
    disclosure_count,
    disclosure_population,
    month_numerator,
    month_denominator,
    first_month_numerator,
    first_month_denominator,
    case
        when denominator is null then numerator
        when denominator > 0 then numerator / denominator
    end as value
from rounded
