-- The newest boundary of each housing area, as GeoJSON in the register's coordinates
-- (EPSG:25832, ETRS89 / UTM zone 32N, metres): the dashboard draws its map from these,
-- with no tile server.
select
    area_id,
    geometry_geojson
from (
    select
        area_id,
        geometry_geojson,
        row_number() over (partition by area_id order by period desc) as newest_first
    from {{ ref('stg_population__areas') }}
) as boundaries
where newest_first = 1
