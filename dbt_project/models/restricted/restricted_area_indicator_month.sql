-- Every implemented indicator per area and month, UNSUPPRESSED. Restricted: read only by
-- signal detection and the statutory criteria; everything published goes through
-- fct_area_indicator_month.
with indicators as (
    select * from {{ ref('int_indicators__employment') }}
    union all
    select * from {{ ref('int_indicators__children_youth') }}
    union all
    select * from {{ ref('int_indicators__housing') }}
    union all
    select * from {{ ref('int_indicators__health') }}
    union all
    select * from {{ ref('int_indicators__population') }}
    union all
    select * from {{ ref('int_indicators__yearly') }}
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
