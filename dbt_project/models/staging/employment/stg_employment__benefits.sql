select
    period,
    person_key,
    benefit_type,
    start_date,
    end_date,
    weekly_extent
from {{ source('employment', 'benefits') }}
