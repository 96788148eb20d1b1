select
    period,
    person_key,
    offered_date,
    accepted
from {{ source('health', 'home_visits') }}
