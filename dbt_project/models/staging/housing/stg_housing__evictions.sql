select
    period,
    case_id,
    address_id,
    eviction_date
from {{ source('housing', 'evictions') }}
