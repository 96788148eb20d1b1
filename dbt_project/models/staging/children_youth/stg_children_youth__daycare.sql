select
    period,
    person_key,
    daycare_type,
    start_date
from {{ source('children_youth', 'daycare') }}
