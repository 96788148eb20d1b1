select
    period,
    tenancy_id,
    address_id,
    move_out_date
from {{ source('housing', 'move_outs') }}
