"""The departments' dashboard: `streamlit run dashboard/app.py -- --published PATH`
(or `make dashboard`, `python -m dashboard`, `kvarter dashboard`). Danish throughout;
reads only the published copy, read-only."""

import functools
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import tables
from dashboard.danish import month
from dashboard.data import Data
from dashboard.options import published_path
from dashboard.print_profile import document, profile_html
from dashboard.published import PublishedError
from dashboard.specs import area_map, areas_over_time, funnel, trend
from quality.exports import write_csv, write_xlsx

PAGES = ["Oversigt", "Område", "Indikator", "Lovkriterier", "Signaler", "Udskrift"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def linked_choice(
    label: str, options: list, parameter: str, what: str, key: str, default=None, **kwargs
):
    """A choice that a link makes (?omraade=BO04, ?maaned=2025-12, ?listeaar=2025) and that
    is written back to the address, so the address always opens what is on screen; an
    unknown one is said in Danish and the default (else the first option) taken."""
    keys = [f"{o:%Y-%m}" if hasattr(o, "strftime") else str(o) for o in options]
    asked = st.query_params.get(parameter)
    index = options.index(default) if default in options else 0
    if asked in keys:
        index = keys.index(asked)
    elif asked is not None:
        st.warning(f"{what} '{asked}' findes ikke i den offentliggjorte kopi.")
    chosen = st.selectbox(label, options, index=index, key=key, **kwargs)
    st.query_params[parameter] = keys[options.index(chosen)]
    return chosen


def choose_indicator(data: Data, key: str) -> pd.Series:
    catalogue = data.catalogue()
    names = dict(zip(catalogue["indicator_id"], catalogue["name_da"]))
    chosen = linked_choice(
        "Indikator", list(names), "indikator", "Indikatoren", key, format_func=names.get
    )
    return catalogue.set_index("indicator_id").loc[chosen].rename(chosen)


def choose_month(data: Data, key: str):
    return linked_choice("Måned", data.months(), "maaned", "Måneden", key, format_func=month)


def choose_area(data: Data, key: str) -> tuple[str, dict]:
    areas = data.areas()
    names = dict(zip(areas["area_id"], areas["area_name"]))
    chosen = linked_choice(
        "Boligområde", list(names), "omraade", "Boligområdet", key, format_func=names.get
    )
    return chosen, names


def footnote(data: Data) -> None:
    st.caption(f"Tomme felter: {data.disclosure_explanation()}")


def export_file(frame: pd.DataFrame, write) -> bytes:
    """A table as a CSV (Danish Excel: ';', decimal comma, BOM) or xlsx file, formula
    cells neutralised (quality/exports.py)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export"
        write(frame, path)
        return path.read_bytes()


def table(shown: pd.DataFrame, name: str, export: pd.DataFrame | None = None) -> None:
    """A table on the page with its CSV and Excel downloads (`export`: the same rows as
    numbers, when the page shows them as Danish text). The files are written when a
    button is pressed, not with every page view."""
    st.dataframe(shown, hide_index=True)
    rows = shown if export is None else export
    csv = functools.partial(export_file, rows, write_csv)
    xlsx = functools.partial(export_file, rows, write_xlsx)
    left, right = st.columns(2)
    left.download_button("Hent CSV", csv, f"{name}.csv", "text/csv", key=f"{name}.csv")
    right.download_button("Hent Excel", xlsx, f"{name}.xlsx", XLSX, key=f"{name}.xlsx")


def overview(data: Data) -> None:
    st.header("Oversigt")
    indicator = choose_indicator(data, "overview_indicator")
    period = choose_month(data, "overview_month")
    cells = data.indicator_month(indicator.name, period)
    st.vega_lite_chart(
        area_map(data.geometry(), cells, indicator.unit, int(indicator.display_scale)),
        width="stretch",
    )
    st.caption(indicator.definition)
    st.subheader("Boligområdernes lovkriterier")
    statutory = data.statutory()
    if not statutory.empty:
        table(tables.status_table(statutory), "lovkriterier_status")
    st.subheader(f"Hele kommunen, {month(period)}")
    rows = data.area_profile("municipality", period)
    table(
        tables.municipality_figures(rows),
        f"hele_kommunen_{period:%Y-%m}",
        tables.municipality_export(rows),
    )
    footnote(data)


def area_page(data: Data) -> None:
    st.header("Område (kvarterprofil)")
    area_id, names = choose_area(data, "area_area")
    period = choose_month(data, "area_month")
    st.markdown(
        f"[Udskriftsvenlig kvarterprofil](?side=Udskrift&omraade={area_id}&maaned={period:%Y-%m})"
    )
    profile = data.area_profile(area_id, period)
    table(
        tables.profile_table(profile),
        f"kvarterprofil_{area_id}_{period:%Y-%m}",
        tables.profile_export(profile),
    )
    footnote(data)
    indicator = choose_indicator(data, "area_indicator")
    st.vega_lite_chart(
        trend(
            data.area_series(area_id, indicator.name), int(indicator.display_scale), names[area_id]
        ),
        width="stretch",
    )
    st.subheader("Lovkriterier")
    statutory = data.statutory()
    rows = statutory[statutory["area_id"] == area_id]
    table(tables.criteria_table(rows), f"lovkriterier_{area_id}", tables.statutory_export(rows))
    st.subheader("Boligafdelinger i området")
    table(tables.departments_table(data.housing_departments(area_id)), f"afdelinger_{area_id}")


def indicator_page(data: Data) -> None:
    st.header("Indikator")
    indicator = choose_indicator(data, "indicator_indicator")
    scale = int(indicator.display_scale)
    st.caption(indicator.definition)
    st.vega_lite_chart(
        areas_over_time(data.indicator_series(indicator.name), scale), width="stretch"
    )
    period = choose_month(data, "indicator_month")
    st.subheader(f"Tragtdiagram, {month(period)}")
    cells = data.indicator_month(indicator.name, period)
    st.vega_lite_chart(funnel(cells, indicator.unit, scale), width="stretch")
    st.caption(
        "Punkter uden for de stiplede grænser (95 % og 99,8 %) afviger mere fra kommunens "
        "niveau, end tilfældig variation i et område af den størrelse forklarer."
    )
    table(
        tables.month_table(cells, indicator.unit, scale),
        f"{indicator.name}_{period:%Y-%m}",
        tables.month_export(cells, scale),
    )
    footnote(data)


def statutory_page(data: Data) -> None:
    st.header("Lovkriterier (almenboligloven § 61 a)")
    statutory = data.statutory()
    if statutory.empty:
        st.info("Ingen lovkriterier i den offentliggjorte kopi.")
        return
    years = [int(y) for y in sorted(statutory["list_year"].unique(), reverse=True)]
    preliminary = {int(y) for y in statutory.loc[statutory["preliminary"], "list_year"]}
    year = linked_choice(
        "Listeår",
        years,
        "listeaar",
        "Listeåret",
        "statutory_year",
        default=tables.latest_decided_year(statutory),
        format_func=lambda y: f"{y} (foreløbig)" if y in preliminary else str(y),
    )
    rows = tables.closest_first(statutory[statutory["list_year"] == year])
    table(tables.criteria_table(rows), f"lovkriterier_{year}", tables.statutory_export(rows))
    if year in preliminary:
        st.info(
            f"Foreløbig: de nationale tal til listen {year} er ikke leveret endnu. Kun "
            "kriterium 1 er kendt (kommunens egne data for de to forrige kalenderår); "
            "resten afgøres, når filen kommer."
        )
    st.caption(
        "Afstand: positiv er på den side af grænsen, hvor kriteriet er opfyldt. "
        "'ukendt': data til at afgøre listen mangler, eller et kriterium, der kunne "
        "afgøre den, er skjult af hensyn til diskretionen (tomt felt)."
    )


def signals_page(data: Data) -> None:
    st.header("Signaler")
    episodes = data.episodes()
    if episodes.empty:
        st.info("Ingen episoder med negativ udvikling i den offentliggjorte kopi.")
        return
    current = episodes[episodes["end_month"].isna()]
    past = episodes[episodes["end_month"].notna()]
    st.subheader("Åbne episoder")
    if current.empty:
        st.info("Ingen åbne episoder.")
    else:
        table(tables.open_episodes_table(current), "episoder_aabne")
    labels = {
        r.episode_id: f"{r.area_name}: {r.name_da}, fra {month(r.start_month)}"
        + ("" if pd.isna(r.end_month) else f" til {month(r.end_month)}")
        for r in episodes.itertuples()
    }
    picked = linked_choice(
        "Episode", list(labels), "episode", "Episoden", "signals_episode", format_func=labels.get
    )
    chosen = episodes.set_index("episode_id").loc[picked]
    st.vega_lite_chart(
        trend(
            data.area_series(chosen.area_id, chosen.indicator_id),
            int(chosen.display_scale),
            chosen.area_name,
        ),
        width="stretch",
    )
    st.caption("Forløb")
    table(tables.transitions_table(data.transitions(chosen.name)), f"forloeb_{chosen.name}")
    st.subheader("Tidligere episoder")
    if past.empty:
        st.info("Ingen afsluttede episoder.")
    else:
        table(tables.past_episodes_table(past), "episoder_afsluttede")
    footnote(data)


def print_page(data: Data) -> None:
    """The area profile laid out for paper: print it from the browser (Ctrl+P) or
    download it as a file."""
    area_id, names = choose_area(data, "print_area")
    period = choose_month(data, "print_month")
    statutory = data.statutory()
    body = profile_html(
        names[area_id],
        period,
        data.published_at(),
        tables.profile_table(data.area_profile(area_id, period)),
        tables.criteria_table(statutory[statutory["area_id"] == area_id]),
        tables.departments_table(data.housing_departments(area_id)),
        data.disclosure_explanation(),
        len(names),
    )
    name = f"kvarterprofil_{area_id}_{period:%Y-%m}"
    st.download_button(
        "Hent til udskrift (HTML)",
        document(body, f"Kvarterprofil {names[area_id]}"),
        f"{name}.html",
        "text/html",
    )
    st.caption("Udskriv med browserens udskrift (Ctrl+P); kun profilen kommer med på papiret.")
    st.html(body)


def main() -> None:
    st.set_page_config(page_title="Kvarterprofil", layout="wide")
    try:
        data = Data(published_path())
    except PublishedError as problem:
        st.error(str(problem))
        return
    # A link can open a page and an area: ?side=Område&omraade=BO04 (the alert emails do).
    asked = st.query_params.get("side")
    if asked is not None and asked not in PAGES:
        st.warning(f"Siden '{asked}' findes ikke; her er oversigten.")
    # A key makes the radio the same widget whatever the address says (without one, a new
    # index would make a new radio and drop the click).
    page = st.sidebar.radio(
        "Side", PAGES, index=PAGES.index(asked) if asked in PAGES else 0, key="side"
    )
    st.query_params["side"] = page
    st.sidebar.caption(f"Data offentliggjort {data.published_at()}")
    try:
        {
            "Oversigt": overview,
            "Område": area_page,
            "Indikator": indicator_page,
            "Lovkriterier": statutory_page,
            "Signaler": signals_page,
            "Udskrift": print_page,
        }[page](data)
    except PublishedError as problem:  # locked or damaged since the page began
        st.error(str(problem))


main()
