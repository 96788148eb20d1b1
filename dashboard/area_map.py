"""The overview's choropleth as a plain Vega-Lite spec, drawn in the browser with no tile
server. Plain, not Altair: the overview is the first page, and Altair takes close to a
second to import (python -X importtime) that the first page need not wait for."""

import json

import pandas as pd

from dashboard.danish import DANISH_NUMBER, indicator_value

HIDDEN = "skjult (diskretion)"


def area_map(geometry: pd.DataFrame, cells: pd.DataFrame, unit: str, scale: int) -> dict:
    """A choropleth of one indicator and month. The boundaries stay in EPSG:25832 metres,
    drawn with an identity projection (y flipped: northing grows upwards)."""
    values = cells.set_index("area_id")
    features = []
    for row in geometry.itertuples():
        cell = values.loc[row.area_id] if row.area_id in values.index else None
        shown = cell is not None and not cell.suppressed
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(row.geometry_geojson),
                "properties": {
                    "area": row.area_name,
                    "value": float(cell.value) * scale if shown else None,
                    "shown": indicator_value(cell.value, unit, scale) if shown else HIDDEN,
                },
            }
        )
    tooltip = [
        {"field": "properties.area", "type": "nominal", "title": "Område"},
        {"field": "properties.shown", "type": "nominal", "title": "Værdi"},
    ]
    colour = {
        "field": "properties.value",
        "type": "quantitative",
        "title": "Værdi",
        "scale": {"scheme": "orangered"},
        "legend": {"labelExpr": DANISH_NUMBER.format(d=1)},
    }
    # Every area grey underneath (a hidden value is never coloured as a value), the
    # published values coloured on top.
    return {
        "data": {"values": features},
        "projection": {"type": "identity", "reflectY": True},
        "height": 420,
        "layer": [
            {
                "mark": {"type": "geoshape", "fill": "#d0d0d0", "stroke": "white"},
                "encoding": {"tooltip": tooltip},
            },
            {
                "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 1},
                "encoding": {"color": colour, "tooltip": tooltip},
            },
        ],
    }
