select
    period,
    notification_id,
    person_key,
    received_date
from {{ source('children_youth', 'notifications') }}
