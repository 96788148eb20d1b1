-- Person records that reach no area and no total: the person lived at no address in the
-- municipality on the first of the record's month (June for a 9th-grade exam; moved in
-- later that month, moved
-- away, or not registered), so the record counts in no indicator. Nothing is dropped
-- silently: they are counted here per source and month with the reason, beside the
-- extract's row accounting (README, "Definitions"). Each source keeps a row for every
-- month it has records in, 0 when all were placed, so a refreshed month always replaces
-- its rows (incremental by period, as every restricted model).

with records as (
    select
        'employment' as source_system,
        'benefits' as source_entity,
        period,
        person_key
    from {{ ref('stg_employment__benefits') }}
    where {{ in_refresh_window('period', later_months=0) }}
    {%- for system, entity in [
        ('employment', 'youth_status'),
        ('health', 'home_visits'),
        ('health', 'smoking_cessation'),
        ('health', 'rehabilitation'),
        ('children_youth', 'daycare'),
        ('children_youth', 'notifications'),
        ('children_youth', 'ssp_concerns'),
        ('children_youth', 'school_absence'),
    ] %}
        union all
        select
            '{{ system }}' as source_system,
            '{{ entity }}' as source_entity,
            period,
            person_key
        from {{ ref('stg_' ~ system ~ '__' ~ entity) }}
        where {{ in_refresh_window('period', later_months=0) }}
    {%- endfor %}
    {%- set exam_june = make_month("date_part('year', period)", 6) %}
    union all
    -- A 9th-grader counts where the pupil lived in June of the exam year, as in
    -- cy_grade9_basic (int_indicators__yearly), not in the delivery's January.
    select
        'children_youth' as source_system,
        'grade9_exams' as source_entity,
        {{ exam_june }} as period,
        person_key
    from {{ ref('stg_children_youth__grade9_exams') }}
    where {{ in_refresh_window(exam_june, later_months=0) }}
)

select
    records.source_system,
    records.source_entity,
    records.period,
    'ingen bopæl i kommunen den 1. i måneden' as reason,
    count(*) filter (where residents.person_key is null) as records
from records
left join {{ ref('int_person_months') }} as residents
    on
        records.period = residents.period
        and records.person_key = residents.person_key
        and {{ in_refresh_window('residents.period', later_months=0) }}
group by records.source_system, records.source_entity, records.period
