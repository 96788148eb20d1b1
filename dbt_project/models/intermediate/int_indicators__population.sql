-- Population indicators per area and month: residents (a count), the age mix and the
-- non-western share.
select
    area_id,
    period,
    'pop_residents' as indicator_id,
    count(*) as numerator,
    null as denominator
from {{ ref('int_person_months') }}
where {{ in_refresh_window('period', later_months=0) }}
group by area_id, period

{% for indicator_id, condition in [
    ('pop_non_western', 'is_non_western'),
    ('pop_age_0_17', 'age <= 17'),
    ('pop_age_18_64', 'age between 18 and 64'),
    ('pop_age_65_plus', 'age >= 65'),
] %}
    union all

    select
        area_id,
        period,
        '{{ indicator_id }}' as indicator_id,
        count(*) filter (where {{ condition }}) as numerator,
        count(*) as denominator
    from {{ ref('int_person_months') }}
    where {{ in_refresh_window('period', later_months=0) }}
    group by area_id, period
{% endfor %}
