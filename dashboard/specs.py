"""The overview's choropleth (drawn with no tile server) and an area's trend as plain
Vega-Lite specs. Plain, not Altair: Altair takes close to a second to import (python -X
importtime), which the first page (the overview) and the area page need not wait for."""

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


def trend(series: pd.DataFrame, scale: int, area_name: str) -> dict:
    """The area's published series against the municipality's; a hidden month is a gap."""
    rows = [
        {
            "period": f"{pd.Timestamp(r.period):%Y-%m-%d}",
            "serie": name,
            "vaerdi": None if pd.isna(getattr(r, column)) else float(getattr(r, column)) * scale,
        }
        for name, column in ((area_name, "value"), ("Hele kommunen", "municipality_value"))
        for r in series.itertuples()
    ]
    return {
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {
                "field": "period",
                "type": "temporal",
                "axis": {"title": "Måned", "format": "%m.%Y"},
            },
            "y": {
                "field": "vaerdi",
                "type": "quantitative",
                "axis": {"title": "Værdi", "labelExpr": DANISH_NUMBER.format(d=1)},
            },
            "color": {"field": "serie", "type": "nominal", "title": None},
        },  # fmt: skip
        "height": 260,
    }
