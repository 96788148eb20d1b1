select
    period,
    person_key,
    status,
    neet
from {{ source('employment', 'youth_status') }}
