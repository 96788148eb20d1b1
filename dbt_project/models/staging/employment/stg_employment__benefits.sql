select
    period,
    person_key,
    benefit_type,
    fte
from {{ source('employment', 'benefits') }}
