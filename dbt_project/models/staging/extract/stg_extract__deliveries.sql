select
    system,
    entity,
    period,
    rows_read,
    rows_loaded,
    rows_quarantined
from {{ source('extract', 'deliveries') }}
