"""The dashboard's charts as plain Vega-Lite specs, drawn in the browser: the overview's
choropleth (with no tile server), an area's trend, and the Indikator page's areas over
time and funnel plot. Plain, not Altair: Altair takes close to a second to import (python
-X importtime), which on these 2 cores held back the first page's drawing."""

import json

import numpy as np
import pandas as pd

from dashboard.danish import DANISH_NUMBER, indicator_value

HIDDEN = "skjult (diskretion)"
COLOURED_AREAS = 12
RED = "#c0392b"
MONTH_AXIS = {"title": "Måned", "format": "%m.%Y"}


def value_axis(title: str, decimals: int = 1) -> dict:
    return {"title": title, "labelExpr": DANISH_NUMBER.format(d=decimals)}


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON values for a spec: months as YYYY-MM-DD, a missing value as null."""
    if "period" in frame:
        frame = frame.assign(period=pd.to_datetime(frame["period"]).dt.strftime("%Y-%m-%d"))
    return json.loads(frame.to_json(orient="records"))


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
            "x": {"field": "period", "type": "temporal", "axis": MONTH_AXIS},
            "y": {"field": "vaerdi", "type": "quantitative", "axis": value_axis("Værdi")},
            "color": {"field": "serie", "type": "nominal", "title": None},
        },
        "height": 260,
    }


def areas_over_time(series: pd.DataFrame, scale: int) -> dict:
    """Every area's published series of one indicator (hidden months are gaps). Up to
    COLOURED_AREAS areas each get a colour; a city's many areas are thin grey lines
    (named in the tooltip) under the municipality's: 200 legend entries help no one and
    take the browser seconds to draw."""
    shown = series[~series["suppressed"]].assign(vaerdi=lambda f: f["value"] * scale)
    shown = shown[["area_id", "area_name", "period", "vaerdi"]]
    x = {"field": "period", "type": "temporal", "axis": MONTH_AXIS}
    y = {"field": "vaerdi", "type": "quantitative", "axis": value_axis("Værdi")}
    if series["area_id"].nunique() <= COLOURED_AREAS:
        colour = {"field": "area_name", "type": "nominal", "title": "Område"}
        return {
            "data": {"values": records(shown)},
            "mark": "line",
            "encoding": {"x": x, "y": y, "color": colour},
            "height": 300,
        }
    municipality = shown["area_id"] == "municipality"
    areas = {
        "data": {"values": records(shown[~municipality])},
        "mark": {"type": "line", "color": "#b0b0b0", "strokeWidth": 1},
        "encoding": {
            "x": x,
            "y": y,
            "detail": {"field": "area_name", "type": "nominal"},
            "tooltip": {"field": "area_name", "type": "nominal", "title": "Område"},
        },
    }
    red = {"field": "serie", "type": "nominal", "title": None, "scale": {"range": [RED]}}
    level = {
        "data": {"values": records(shown[municipality].assign(serie="Hele kommunen"))},
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {"x": x, "y": y, "color": red},
    }
    return {"layer": [areas, level], "height": 300}


def funnel_limits(p0: float, unit: str, denominators: np.ndarray, z: float) -> np.ndarray:
    """Control limits around the municipality's level p0 for an area of denominator n:
    binomial for shares, Poisson for rates per person."""
    if unit == "pct":
        spread = np.sqrt(p0 * (1 - p0) / denominators)
    else:
        spread = np.sqrt(p0 / denominators)
    return p0 + z * spread


def funnel(cells: pd.DataFrame, unit: str, scale: int) -> dict:
    """Area value against its denominator, with the municipality line and 95 % and 99.8 %
    limits: a small area's noise is not a problem."""
    areas = cells[(cells["area_level"] == "area") & ~cells["suppressed"]]
    municipality = cells[cells["area_id"] == "municipality"]
    if areas.empty or municipality.empty or municipality["suppressed"].iloc[0]:
        return {"data": {"values": []}, "mark": "point"}
    p0 = float(municipality["value"].iloc[0])
    n = np.linspace(max(areas["denominator"].min() * 0.8, 1), areas["denominator"].max() * 1.1)
    limits = pd.concat(
        pd.DataFrame(
            {
                "n": n,
                "v": np.maximum(funnel_limits(p0, unit, n, sign * z), 0) * scale,
                "grænse": label,
                "side": sign,
            }
        )
        for z, label in ((1.96, "95 %"), (3.09, "99,8 %"))
        for sign in (-1, 1)
    )
    points = areas[["area_name", "denominator"]].assign(v=areas["value"] * scale)
    lines = {
        "data": {"values": records(limits)},
        "mark": {"type": "line", "strokeDash": [4, 3]},
        "encoding": {
            "x": {"field": "n", "type": "quantitative"},
            "y": {"field": "v", "type": "quantitative"},
            "color": {"field": "grænse", "type": "nominal", "title": "Grænse"},
            "detail": {"field": "side", "type": "nominal"},
        },
    }
    level = {
        "data": {"values": [{"v": p0 * scale}]},
        "mark": "rule",
        "encoding": {"y": {"field": "v", "type": "quantitative"}},
    }
    dots = {
        "data": {"values": records(points)},
        "mark": {"type": "circle", "size": 70},
        "encoding": {
            "x": {"field": "denominator", "type": "quantitative", "axis": value_axis("Nævner", 0)},
            "y": {"field": "v", "type": "quantitative", "axis": value_axis("Værdi")},
            "tooltip": {"field": "area_name", "type": "nominal", "title": "Område"},
        },
    }
    return {"layer": [lines, level, dots], "height": 320}
