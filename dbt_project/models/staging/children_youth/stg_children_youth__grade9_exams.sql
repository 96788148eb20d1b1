select
    period,
    person_key,
    danish_grade,
    maths_grade
from {{ source('children_youth', 'grade9_exams') }}
