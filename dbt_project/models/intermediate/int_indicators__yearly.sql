-- Yearly indicators (unsuppressed), dated to the month they describe: 9th-grade exams
-- to June of the exam year (pupils in the area they lived in that June), the national
-- statistics' basic-education share to January (residents at 1 January).
with exams as (
    select
        person_months.area_id,
        cast(date_part('year', exams.period) as integer) as exam_year,
        exams.danish_grade >= 2 and exams.maths_grade >= 2 as passed_basic
    from {{ ref('stg_children_youth__grade9_exams') }} as exams
    inner join {{ ref('int_person_months') }} as person_months
        on
            exams.person_key = person_months.person_key
            and person_months.period
            = {{ make_month('date_part(\'year\', exams.period)', 6) }}
    where {{ in_refresh_window('person_months.period', later_months=0) }}
)

select
    area_id,
    {{ make_month('exam_year', 6) }} as period,
    'cy_grade9_basic' as indicator_id,
    count(*) filter (where passed_basic) as numerator,
    count(*) as denominator
from exams
group by area_id, exam_year

union all

select
    area_id,
    period,
    'stat_basic_education' as indicator_id,
    basic_education_30_59 as numerator,
    residents_30_59 as denominator
from {{ ref('stg_national__area_statistics') }}
where {{ in_refresh_window('period', later_months=0) }}
