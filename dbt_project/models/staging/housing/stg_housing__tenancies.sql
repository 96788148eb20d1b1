select
    period,
    tenancy_id,
    address_id,
    move_in_date,
    move_out_date,
    letting_channel
from {{ source('housing', 'tenancies') }}
