-- Population indicators per area and month: residents (a count) and the non-western share.
select
    area_id,
    period,
    'pop_residents' as indicator_id,
    count(*) as numerator,
    null as denominator
from {{ ref('int_person_months') }}
group by area_id, period

union all

select
    area_id,
    period,
    'pop_non_western' as indicator_id,
    count(*) filter (where is_non_western) as numerator,
    count(*) as denominator
from {{ ref('int_person_months') }}
group by area_id, period
