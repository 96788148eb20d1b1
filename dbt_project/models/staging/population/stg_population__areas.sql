select
    period,
    area_id,
    area_name,
    valid_from,
    geometry_geojson
from {{ source('population', 'areas') }}
