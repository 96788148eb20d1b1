"""The departments' dashboard: `streamlit run dashboard/app.py -- --published PATH`
(or `make dashboard` / `kvarter dashboard`). Danish throughout; reads only the published
copy, read-only."""

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.danish import indicator_change, indicator_value, month, number
from dashboard.published import Published
from quality.exports import write_csv, write_xlsx

PAGES = ["Oversigt", "Område", "Indikator", "Lovkriterier", "Signaler"]
SEVERITY = {"alarm": "Alarm", "watch": "Skærpet opmærksomhed"}
CRITERIA = [
    ("c1", "Kriterium 1: uden for arbejde eller uddannelse", "c1_outside_work_edu"),
    ("c2", "Kriterium 2: dømte i forhold til landsplan", "c2_conviction_ratio"),
    ("c3", "Kriterium 3: kun grundskole", "c3_basic_education"),
    ("c4", "Kriterium 4: indkomst i forhold til regionen", "c4_income_ratio"),
]


def published_path() -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--published", default=os.environ.get("KVARTER_PUBLISHED"))
    args, _ = parser.parse_known_args()
    return args.published or "data/published/kvarter.duckdb"


@st.cache_resource
def open_published(path: str) -> Published:
    return Published(path)


def linked_index(options: list, parameter: str, what: str) -> int:
    """The option a link asks for (?indikator=..., ?maaned=2025-12), else the first; an
    unknown one is said in Danish."""
    asked = st.query_params.get(parameter)
    keys = [f"{o:%Y-%m}" if hasattr(o, "strftime") else o for o in options]
    if asked is None:
        return 0
    if asked not in keys:
        st.warning(f"{what} '{asked}' findes ikke i den offentliggjorte kopi.")
        return 0
    return keys.index(asked)


def choose_indicator(data: Published, key: str) -> pd.Series:
    catalogue = data.catalogue()
    names = dict(zip(catalogue["indicator_id"], catalogue["name_da"]))
    ids = list(names)
    index = linked_index(ids, "indikator", "Indikatoren")
    chosen = st.selectbox("Indikator", ids, index=index, format_func=names.get, key=key)
    return catalogue.set_index("indicator_id").loc[chosen].rename(chosen)


def choose_month(data: Published, key: str):
    months = data.months()
    index = linked_index(months, "maaned", "Måneden")
    return st.selectbox("Måned", months, index=index, format_func=month, key=key)


def footnote(data: Published) -> None:
    st.caption(f"Tomme felter: {data.disclosure_explanation()}")


def overview(data: Published) -> None:
    st.header("Oversigt")
    indicator = choose_indicator(data, "overview_indicator")
    period = choose_month(data, "overview_month")
    cells = data.indicator_month(indicator.name, period)
    st.altair_chart(
        charts.area_map(data.geometry(), cells, indicator.unit, int(indicator.display_scale)),
        width="stretch",
    )
    st.caption(indicator.definition)
    st.subheader("Boligområdernes lovkriterier")
    statutory = data.statutory()
    if not statutory.empty:
        latest = statutory[statutory["list_year"] == statutory["list_year"].max()]
        st.dataframe(
            latest[["area_name", "list_year", "classification", "criteria_met"]].rename(
                columns={
                    "area_name": "Område",
                    "list_year": "Listeår",
                    "classification": "Status",
                    "criteria_met": "Kriterier opfyldt",
                }
            ),
            hide_index=True,
        )
    st.subheader(f"Hele kommunen, {month(period)}")
    st.dataframe(municipality_figures(data, period), hide_index=True)
    footnote(data)


def municipality_figures(data: Published, period) -> pd.DataFrame:
    rows = data.area_profile("municipality", period)
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Værdi": [
                "" if r.suppressed else indicator_value(r.value, r.unit, r.display_scale)
                for r in rows.itertuples()
            ],
        }
    )


def downloads(frame: pd.DataFrame, name: str) -> None:
    """CSV (Danish Excel: ';' and decimal comma) and xlsx of a table, formula cells
    neutralised (quality/exports.py)."""
    with tempfile.TemporaryDirectory() as folder:
        csv, xlsx = Path(folder) / f"{name}.csv", Path(folder) / f"{name}.xlsx"
        write_csv(frame, csv)
        write_xlsx(frame, xlsx)
        left, right = st.columns(2)
        left.download_button("Hent CSV", csv.read_bytes(), f"{name}.csv", "text/csv")
        right.download_button(
            "Hent Excel",
            xlsx.read_bytes(),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


def profile_export(rows: pd.DataFrame) -> pd.DataFrame:
    """The area's indicators as numbers in their display unit; a hidden cell is empty."""
    scale = rows["display_scale"].astype(float)
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Enhed": rows["unit"],
            "Området": (rows["value"] * scale).where(~rows["suppressed"].astype(bool)),
            "Hele kommunen": rows["municipality_value"] * scale,
            "Ændring 12 mdr.": pd.to_numeric(rows["change_12m"]) * scale,
            "Placering": pd.to_numeric(rows["rank"]),
        }
    )


def month_export(cells: pd.DataFrame, scale: int) -> pd.DataFrame:
    """Every area's cell of one indicator and month; a hidden cell is empty."""
    shown = ~cells["suppressed"].astype(bool)
    return pd.DataFrame(
        {
            "Område": cells["area_name"],
            "Tæller": cells["numerator"].where(shown),
            "Nævner": cells["denominator"].where(shown),
            "Værdi": (cells["value"] * scale).where(shown),
        }
    )


def area_page(data: Published) -> None:
    st.header("Område (kvarterprofil)")
    areas = data.areas()
    names = dict(zip(areas["area_id"], areas["area_name"]))
    ids = list(names)
    index = linked_index(ids, "omraade", "Boligområdet")
    area_id = st.selectbox("Boligområde", ids, index=index, format_func=names.get)
    period = choose_month(data, "area_month")
    profile = data.area_profile(area_id, period)
    st.dataframe(profile_table(profile), hide_index=True)
    downloads(profile_export(profile), f"kvarterprofil_{area_id}_{period:%Y-%m}")
    footnote(data)
    indicator = choose_indicator(data, "area_indicator")
    st.altair_chart(
        charts.trend(
            data.area_series(area_id, indicator.name), int(indicator.display_scale), names[area_id]
        ),
        width="stretch",
    )
    st.subheader("Lovkriterier")
    statutory = data.statutory()
    st.dataframe(criteria_table(statutory[statutory["area_id"] == area_id]), hide_index=True)
    st.subheader("Boligafdelinger i området")
    st.dataframe(data.housing_departments(area_id), hide_index=True)


def profile_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Every indicator of the area, hidden cells empty (never zero)."""
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Området": [
                "" if r.suppressed else indicator_value(r.value, r.unit, r.display_scale)
                for r in rows.itertuples()
            ],
            "Hele kommunen": [
                indicator_value(r.municipality_value, r.unit, r.display_scale)
                for r in rows.itertuples()
            ],
            "Ændring 12 mdr.": [
                indicator_change(r.change_12m, r.unit, r.display_scale) for r in rows.itertuples()
            ],
            "Placering": [number(r.rank, 0) for r in rows.itertuples()],
        }
    )


def statutory_export(rows: pd.DataFrame) -> pd.DataFrame:
    """The criteria as numbers (withheld and unknown values empty)."""
    table = {
        "Område": rows["area_name"],
        "Listeår": rows["list_year"],
        "Status": rows["classification"],
    }
    for key, label, column in CRITERIA:
        table[label] = rows[column]
        table[f"{label}: afstand til grænsen"] = rows[f"{key}_distance"]
    return pd.DataFrame(table)


def criteria_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The four criteria per row (area and list year) with the distance to each
    threshold, in Danish number format."""
    table = statutory_export(rows)
    for column in table.columns[3:]:
        table[column] = [number(v, 3) for v in table[column]]
    return table


def indicator_page(data: Published) -> None:
    st.header("Indikator")
    indicator = choose_indicator(data, "indicator_indicator")
    scale = int(indicator.display_scale)
    st.caption(indicator.definition)
    st.altair_chart(
        charts.areas_over_time(data.indicator_series(indicator.name), scale), width="stretch"
    )
    period = choose_month(data, "indicator_month")
    st.subheader(f"Tragtdiagram, {month(period)}")
    cells = data.indicator_month(indicator.name, period)
    st.altair_chart(charts.funnel(cells, indicator.unit, scale), width="stretch")
    downloads(month_export(cells, scale), f"{indicator.name}_{period:%Y-%m}")
    st.caption(
        "Punkter uden for de stiplede grænser (95 % og 99,8 %) afviger mere fra kommunens "
        "niveau, end tilfældig variation i et område af den størrelse forklarer."
    )
    footnote(data)


def statutory_page(data: Published) -> None:
    st.header("Lovkriterier (almenboligloven § 61 a)")
    statutory = data.statutory()
    if statutory.empty:
        st.info("Ingen lovkriterier i den offentliggjorte kopi.")
        return
    year = st.selectbox("Listeår", sorted(statutory["list_year"].unique(), reverse=True))
    rows = statutory[statutory["list_year"] == year].copy()
    # Closest to a threshold first: the smallest distance of any criterion not yet met.
    distances = rows[[f"{key}_distance" for key, *_ in CRITERIA]]
    rows["closest"] = distances.where(distances < 0).abs().min(axis=1)
    rows = rows.sort_values("closest", na_position="last")
    st.dataframe(criteria_table(rows), hide_index=True)
    downloads(statutory_export(rows), f"lovkriterier_{year}")
    st.caption(
        "Afstand: positiv er på den side af grænsen, hvor kriteriet er opfyldt. "
        "'ukendt': data til at afgøre kriteriet mangler."
    )


def signals_page(data: Published) -> None:
    st.header("Signaler")
    signals = data.signals()
    if signals.empty:
        st.info("Ingen områder viser en negativ udvikling i den seneste måned.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Område": signals["area_name"],
                "Indikator": signals["name_da"],
                "Status": signals["severity"].map(SEVERITY),
                "Siden": [month(d) for d in signals["episode_start"]],
                "Opgjort for": [month(d) for d in signals["period"]],
            }
        ),
        hide_index=True,
    )
    labels = [f"{r.area_name}: {r.name_da}" for r in signals.itertuples()]
    chosen = signals.iloc[st.selectbox("Serie", range(len(labels)), format_func=labels.__getitem__)]
    st.altair_chart(
        charts.trend(
            data.area_series(chosen.area_id, chosen.indicator_id),
            int(chosen.display_scale),
            chosen.area_name,
        ),
        width="stretch",
    )
    footnote(data)


def main() -> None:
    st.set_page_config(page_title="Kvarterprofil", layout="wide")
    try:
        data = open_published(published_path())
    except FileNotFoundError as missing:
        st.error(str(missing))
        return
    # A link can open a page and an area: ?side=Område&omraade=BO04 (the alert emails do).
    asked = st.query_params.get("side")
    if asked is not None and asked not in PAGES:
        st.warning(f"Siden '{asked}' findes ikke; her er oversigten.")
    page = st.sidebar.radio("Side", PAGES, index=PAGES.index(asked) if asked in PAGES else 0)
    {
        "Oversigt": overview,
        "Område": area_page,
        "Indikator": indicator_page,
        "Lovkriterier": statutory_page,
        "Signaler": signals_page,
    }[page](data)


main()
