select
    period,
    course_id,
    person_key,
    start_date
from {{ source('health', 'smoking_cessation') }}
