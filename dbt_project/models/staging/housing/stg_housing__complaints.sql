select
    period,
    case_id,
    address_id,
    opened_date,
    category
from {{ source('housing', 'complaints') }}
