select
    period,
    course_id,
    person_key,
    start_date,
    end_date,
    completed
from {{ source('health', 'rehabilitation') }}
