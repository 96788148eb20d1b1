select
    period,
    address_id,
    address,
    housing_department,
    coalesce(area_id, 'outside') as area_id,
    coalesce(area_name, 'Uden for boligområder') as area_name
from {{ source('population', 'addresses') }}
