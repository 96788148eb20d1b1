select
    period,
    address_id,
    vacant_since
from {{ source('housing', 'vacancies') }}
