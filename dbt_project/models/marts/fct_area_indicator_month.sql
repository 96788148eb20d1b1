-- The published indicator fact: restricted values with primary suppression applied.
-- A suppressed cell has null value and numerator and a reason, never a zero.
with indicators as (
    select * from {{ ref('restricted_area_indicator_month') }}
),

flagged as (
    select
        *,
        {{ suppression_reason('numerator', 'denominator') }} as suppression_reason
    from indicators
)

select
    area_id,
    period,
    indicator_id,
    suppression_reason,
    case when suppression_reason is null then numerator end as numerator,
    case
        when
            suppression_reason is null
            or suppression_reason in ('small_numerator', 'small_complement')
            then denominator
    end as denominator,
    case when suppression_reason is null then value end as value,
    suppression_reason is not null as suppressed
from flagged
