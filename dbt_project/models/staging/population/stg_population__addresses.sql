select
    period,
    address_id,
    address,
    housing_department,
    dwellings,
    x_utm32,
    y_utm32,
    coalesce(area_id, 'outside') as area_id
from {{ source('population', 'addresses') }}
