"""The Indikator page's charts (Altair / Vega-Lite, drawn in the browser); the map and an
area's trend are plain specs in specs.py."""

import altair as alt
import numpy as np
import pandas as pd

from dashboard.danish import DANISH_NUMBER

COLOURED_AREAS = 12
RED = "#c0392b"


def value_axis(title: str, decimals: int = 1) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=DANISH_NUMBER.format(d=decimals))


def month_axis() -> alt.Axis:
    return alt.Axis(title="Måned", format="%m.%Y")


def areas_over_time(series: pd.DataFrame, scale: int) -> alt.Chart:
    """Every area's published series of one indicator (hidden months are gaps). Up to
    COLOURED_AREAS areas each get a colour; a city's many areas are thin grey lines
    (named in the tooltip) under the municipality's: 200 legend entries help no one and
    take the browser seconds to draw."""
    shown = series[~series["suppressed"]].assign(vaerdi=lambda f: f["value"] * scale)
    x = alt.X("period:T", axis=month_axis())
    y = alt.Y("vaerdi:Q", axis=value_axis("Værdi"))
    if series["area_id"].nunique() <= COLOURED_AREAS:
        return (
            alt.Chart(shown)
            .mark_line()
            .encode(x=x, y=y, color=alt.Color("area_name:N", title="Område"))
            .properties(height=300)
        )
    municipality = shown["area_id"] == "municipality"
    areas = (
        alt.Chart(shown[~municipality])
        .mark_line(color="#b0b0b0", strokeWidth=1)
        .encode(x=x, y=y, detail="area_name:N", tooltip=alt.Tooltip("area_name:N", title="Område"))
    )
    level = (
        alt.Chart(shown[municipality].assign(serie="Hele kommunen"))
        .mark_line(strokeWidth=3)
        .encode(x=x, y=y, color=alt.Color("serie:N", title=None, scale=alt.Scale(range=[RED])))
    )
    return (areas + level).properties(height=300)


def funnel_limits(p0: float, unit: str, denominators: np.ndarray, z: float) -> np.ndarray:
    """Control limits around the municipality's level p0 for an area of denominator n:
    binomial for shares, Poisson for rates per person."""
    if unit == "pct":
        spread = np.sqrt(p0 * (1 - p0) / denominators)
    else:
        spread = np.sqrt(p0 / denominators)
    return p0 + z * spread


def funnel(cells: pd.DataFrame, unit: str, scale: int) -> alt.Chart:
    """Area value against its denominator, with the municipality line and 95 % and 99.8 %
    limits: a small area's noise is not a problem."""
    areas = cells[(cells["area_level"] == "area") & ~cells["suppressed"]].copy()
    municipality = cells[cells["area_id"] == "municipality"]
    if areas.empty or municipality.empty or municipality["suppressed"].iloc[0]:
        return alt.Chart(pd.DataFrame()).mark_point()
    p0 = float(municipality["value"].iloc[0])
    n = np.linspace(max(areas["denominator"].min() * 0.8, 1), areas["denominator"].max() * 1.1)
    bands = []
    for z, label in ((1.96, "95 %"), (3.09, "99,8 %")):
        for sign in (-1, 1):
            limit = funnel_limits(p0, unit, n, sign * z)
            bands.append(
                pd.DataFrame(
                    {"n": n, "v": np.maximum(limit, 0) * scale, "grænse": label, "side": sign}
                )
            )
    limits = pd.concat(bands)
    areas["v"] = areas["value"] * scale
    points = (
        alt.Chart(areas)
        .mark_circle(size=70)
        .encode(
            x=alt.X("denominator:Q", axis=value_axis("Nævner", 0)),
            y=alt.Y("v:Q", axis=value_axis("Værdi")),
            tooltip=[alt.Tooltip("area_name:N", title="Område")],
        )
    )
    lines = (
        alt.Chart(limits)
        .mark_line(strokeDash=[4, 3])
        .encode(x="n:Q", y="v:Q", color=alt.Color("grænse:N", title="Grænse"), detail="side:N")
    )
    level = alt.Chart(pd.DataFrame({"v": [p0 * scale]})).mark_rule().encode(y="v:Q")
    return (lines + level + points).properties(height=320)
