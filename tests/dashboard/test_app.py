"""The dashboard through Streamlit's own test harness, on the hand-made published copy."""

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.danish import indicator_change, indicator_value, month, number
from dashboard.published import Published

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def run(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))

    def open_page(page: str) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=60)
        app.run()
        app.sidebar.radio[0].set_value(page).run()
        assert not app.exception, app.exception
        return app

    return open_page


def test_danish_numbers_and_months():
    assert number(1234.5) == "1.234,5"
    assert number(None) == "" and number(pd.NA) == ""
    assert indicator_change(-0.002, "per_100", 100) == "-0,2 pr. 100"
    assert indicator_value(0.376, "pct", 100) == "37,6 %"
    assert indicator_value(2.5, "per_1000", 1000) == "2.500,0 pr. 1.000"
    assert month(dt.date(2025, 12, 1)) == "december 2025"


def test_overview_shows_the_municipality_in_danish(run):
    app = run("Oversigt")
    figures = app.dataframe[-1].value
    assert figures.to_dict("records") == [
        {"Indikator": "18-64-årige uden for arbejde eller uddannelse", "Værdi": "30,0 %"}
    ]
    assert "Tomme felter er skjult" in app.main.caption[-1].value
    # The statutory status of the latest list with its national file, not the preliminary.
    [status] = [f.value for f in app.dataframe if "Listeår" in f.value.columns]
    assert status.columns[-2:].tolist() == ["Kriterier opfyldt", "Ukendte eller skjulte"]
    assert status.values.tolist() == [
        ["Æblehaven", 2025, "ukendt", 1, 2],
        ["Østervang", 2025, "ingen", 0, 0],
    ]


def test_area_page_shows_a_hidden_cell_as_empty_never_zero(run):
    app = run("Område")
    app.selectbox[0].set_value("BO02").run()
    [row] = app.dataframe[0].value.to_dict("records")
    assert row["Området"] == "" and row["Hele kommunen"] == "30,0 %"
    app.selectbox[0].set_value("BO01").run()
    [row] = app.dataframe[0].value.to_dict("records")
    assert row["Området"] == "30,0 %"
    assert row["Ændring 12 mdr."] == "+5,0 %-point" and row["Placering"] == "1"


def test_statutory_page_lists_the_area_closest_to_a_threshold_first(run):
    app = run("Lovkriterier")
    # The latest list with its national file first; the preliminary one is offered.
    assert app.selectbox[0].value == 2025
    assert app.selectbox[0].options == ["2026 (foreløbig)", "2025"]
    table = app.dataframe[0].value
    assert list(table["Område"]) == ["Æblehaven", "Østervang"]  # -0,05 before -0,2
    assert list(table["Status"]) == ["ukendt", "ingen"]
    assert list(table["Foreløbig"]) == ["nej", "nej"] and not app.info


def test_a_preliminary_list_year_says_only_criterion_1_is_known(run):
    app = run("Lovkriterier")
    app.selectbox[0].set_value(2026).run()
    table = app.dataframe[0].value
    assert table[["Område", "Status", "Foreløbig"]].values.tolist() == [
        ["Æblehaven", "ukendt", "ja"]
    ]
    assert table["Kriterium 1: uden for arbejde eller uddannelse"].tolist() == ["0,420"]
    assert app.info[0].value.startswith(
        "Foreløbig: de nationale tal til listen 2026 er ikke leveret endnu. Kun kriterium 1"
    )
    assert app.query_params["listeaar"] == "2026"


def test_a_link_opens_a_list_year_and_the_address_keeps_it(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Lovkriterier"
    app.query_params["listeaar"] = "2025"
    app.run()
    assert not app.exception and not app.warning
    assert app.selectbox[0].value == 2025 and app.query_params["listeaar"] == "2025"
    # A year not in the copy: said in Danish, the latest decided list shown and put in
    # the address.
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Lovkriterier"
    app.query_params["listeaar"] = "2019"
    app.run()
    assert app.warning[0].value == "Listeåret '2019' findes ikke i den offentliggjorte kopi."
    assert app.query_params["listeaar"] == "2025"
    assert list(app.dataframe[0].value["Område"]) == ["Æblehaven", "Østervang"]


def test_signals_page_lists_open_and_past_episodes_in_danish(run):
    app = run("Signaler")
    current, history, past = (frame.value for frame in app.dataframe)
    assert current.to_dict("records") == [
        {
            "Område": "Æblehaven",
            "Indikator": "18-64-årige uden for arbejde eller uddannelse",
            "Tilstand": "igangværende",
            "Åbnet": "november 2025",
            "Ændret siden": "september 2025",  # as the digest's "siden" says
            "Signal i seneste måned": "Alarm",
        }
    ]
    assert past.to_dict("records") == [
        {
            "Område": "Æblehaven",
            "Indikator": "18-64-årige uden for arbejde eller uddannelse",
            "Åbnet": "november 2025",
            "Ændret siden": "",  # its onset's month is hidden
            "Afsluttet": "december 2025",
        }
    ]
    # The first open episode is chosen: its course, and its published series drawn.
    assert app.selectbox[0].value == "BO01-emp_outside_work_edu-op-2025-11"
    assert app.query_params["episode"] == "BO01-emp_outside_work_edu-op-2025-11"
    assert history.values.tolist() == [
        ["november 2025", "", "ny"],
        ["december 2025", "ny", "igangværende"],
    ]
    # Streamlit sends the spec's rows to the browser as Arrow.
    chart = app.get("vega_lite_chart")[0].proto
    drawn = pa.ipc.open_stream(chart.data.data).read_pandas().to_dict("records")
    assert [(row["period"], row["serie"], row["vaerdi"]) for row in drawn] == [
        ("2025-11-01", "Æblehaven", 25.0),
        ("2025-12-01", "Æblehaven", 30.0),
        ("2025-11-01", "Hele kommunen", 30.0),
        ("2025-12-01", "Hele kommunen", 30.0),
    ]


def test_a_link_opens_a_past_episode(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Signaler"
    app.query_params["episode"] = "BO01-emp_outside_work_edu-ned-2025-11"
    app.run()
    assert not app.exception and not app.warning
    assert app.selectbox[0].value == "BO01-emp_outside_work_edu-ned-2025-11"
    assert app.dataframe[1].value.values.tolist() == [
        ["november 2025", "", "ny"],
        ["december 2025", "ny", "afsluttet"],
    ]


def test_a_link_opens_an_area_page(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Område"
    app.query_params["omraade"] = "BO02"
    app.run()
    assert app.sidebar.radio[0].value == "Område" and app.selectbox[0].value == "BO02"


def test_the_area_export_holds_numbers_and_leaves_a_hidden_cell_empty(published):
    from dashboard.tables import profile_export

    data = Published(published)
    shown = profile_export(data.area_profile("BO01", dt.date(2025, 12, 1))).iloc[0]
    assert shown["Området"] == 30.0 and shown["Ændring 12 mdr."] == 5.0
    assert shown["Placering"] == 1
    hidden = profile_export(data.area_profile("BO02", dt.date(2025, 12, 1))).iloc[0]
    assert pd.isna(hidden["Området"]) and hidden["Hele kommunen"] == 30.0


def test_the_month_export_leaves_a_hidden_cell_empty(published):
    from dashboard.tables import month_export

    cells = Published(published).indicator_month("emp_outside_work_edu", dt.date(2025, 12, 1))
    rows = month_export(cells, 100).set_index("Område")
    assert rows.loc["Æblehaven"].tolist() == [12.0, 40.0, 30.0]
    assert rows.loc["Østervang"].isna().all()
    assert rows.loc["Hele kommunen"].tolist() == [1234.5, 4115.0, 30.0]


def test_an_unknown_page_or_area_in_a_link_says_so_in_danish(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Ukendt"
    app.run()
    assert not app.exception and app.sidebar.radio[0].value == "Oversigt"
    assert app.warning[0].value == "Siden 'Ukendt' findes ikke; her er oversigten."
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["side"] = "Område"
    app.query_params["omraade"] = "BO99"
    app.run()
    assert not app.exception and app.selectbox[0].value == "BO01"
    assert "BO99" in app.warning[0].value


def test_a_missing_published_copy_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(tmp_path / "none.duckdb"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    assert "Der er ingen offentliggjort kopi" in app.error[0].value


def test_a_locked_or_damaged_copy_says_so_in_danish(published, tmp_path, monkeypatch):
    copy = tmp_path / "kvarter.duckdb"
    shutil.copy(published, copy)
    monkeypatch.setenv("KVARTER_PUBLISHED", str(copy))
    # An analyst's tool holds it read-write in another process.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('open', flush=True); time.sleep(60)", str(copy)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == b"open\n"
        app = AppTest.from_file(APP, default_timeout=60)
        app.run()
        assert not app.exception
        assert "kan ikke læses: et andet program har den åben" in app.error[0].value
    finally:
        holder.kill()
        holder.wait()
    copy.write_bytes(published.read_bytes()[:100_000])  # a copy cut short
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    assert "kan ikke læses: filen er beskadiget eller ufuldstændig" in app.error[0].value


def test_a_link_opens_an_indicator_and_a_month(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(side="Indikator", indikator="emp_outside_work_edu", maaned="2025-11")
    app.run()
    assert not app.exception and not app.warning
    assert app.selectbox[0].value == "emp_outside_work_edu"
    assert app.selectbox[1].value == dt.date(2025, 11, 1)


@pytest.mark.parametrize(
    "page, tables",
    [("Oversigt", 2), ("Område", 3), ("Indikator", 1), ("Lovkriterier", 1), ("Signaler", 3)],
)
def test_every_table_shown_downloads_as_csv_and_excel(run, page, tables):
    app = run(page)
    assert len(app.dataframe) == tables
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Hent CSV", "Hent Excel"] * tables


def test_the_tables_behind_the_new_downloads_hold_hand_worked_values(published):
    from dashboard import tables

    data = Published(published)
    december = dt.date(2025, 12, 1)
    municipality = tables.municipality_export(data.area_profile("municipality", december))
    assert municipality.values.tolist() == [
        ["18-64-årige uden for arbejde eller uddannelse", "pct", 30.0]
    ]
    shown = tables.month_table(data.indicator_month("emp_outside_work_edu", december), "pct", 100)
    assert shown.values.tolist() == [
        ["Æblehaven", "12,0", "40", "30,0 %"],
        ["Østervang", "", "", ""],
        ["Hele kommunen", "1.234,5", "4.115", "30,0 %"],
    ]
    departments = tables.departments_table(data.housing_departments("BO01"))
    assert departments.values.tolist() == [["afd. 1", dt.date(2024, 1, 1), 120]]


def test_the_print_profile_leaves_a_hidden_cell_empty_with_the_reason(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(side="Udskrift", omraade="BO02", maaned="2025-12")
    app.run()
    assert not app.exception and not app.warning
    [html] = [e.proto.body for e in app.get("html")]
    assert "<h1>Kvarterprofil: Østervang</h1>" in html
    assert "Opgjort for december 2025." in html
    # Indicator, the area (hidden: empty), the municipality, change and rank (none).
    assert (
        '<tr><td>18-64-årige uden for arbejde eller uddannelse</td><td class="n"></td>'
        '<td class="n">30,0 %</td><td class="n"></td><td class="n"></td></tr>'
    ) in html
    assert "Tomme felter: Tomme felter er skjult af hensyn til diskretion." in html
    assert "<td>ingen</td>" in html and "-0,200" in html  # list year 2025, criterion 1
    assert "@media print" in html
    assert [b.proto.label for b in app.get("download_button")] == ["Hent til udskrift (HTML)"]


def test_the_print_profile_marks_a_preliminary_list_year(published, monkeypatch):
    monkeypatch.setenv("KVARTER_PUBLISHED", str(published))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(side="Udskrift", omraade="BO01", maaned="2025-12")
    app.run()
    [html] = [e.proto.body for e in app.get("html")]
    # List year, status and Foreløbig as text; criterion 1 and its distance as numbers.
    assert (
        '<tr><td>2026</td><td>ukendt</td><td>ja</td><td class="n">0,420</td>'
        '<td class="n">0,020</td>'
    ) in html
    assert "<td>2025</td><td>ukendt</td><td>nej</td>" in html
    assert "Foreløbig: de nationale tal til listeåret er ikke leveret endnu." in html
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(side="Udskrift", omraade="BO02", maaned="2025-12")
    app.run()
    [html] = [e.proto.body for e in app.get("html")]
    assert "<h1>Kvarterprofil: Østervang</h1>" in html
    assert "Foreløbig:" not in html  # BO02 has no preliminary row


def test_an_older_published_copy_says_what_is_missing_and_how_to_build_it(
    published, tmp_path, monkeypatch
):
    import shutil

    import duckdb

    older = tmp_path / "older.duckdb"
    shutil.copy(published, older)
    with duckdb.connect(str(older)) as con:
        con.execute("drop table signals")
        con.execute("drop table area_geometry")
        con.execute("alter table alert_episodes drop column onset_month")
        con.execute("alter table statutory_criteria drop column preliminary")
    monkeypatch.setenv("KVARTER_PUBLISHED", str(older))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception
    assert (
        "er fra en ældre version og mangler area_geometry, signals, alert_episodes.onset_month,"
        " statutory_criteria.preliminary" in app.error[0].value
    )
    assert "make demo" in app.error[0].value


def test_a_publish_that_replaces_the_copy_is_seen_on_the_next_interaction(
    published, tmp_path, monkeypatch
):
    import os
    import shutil

    import duckdb

    live = tmp_path / "kvarter.duckdb"
    shutil.copy(published, live)
    monkeypatch.setenv("KVARTER_PUBLISHED", str(live))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert "skjult af hensyn til diskretion" in app.main.caption[-1].value
    staged = tmp_path / "kvarter.duckdb.tmp"
    shutil.copy(published, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute("update disclosure_rules set explanation_da = 'Ny forklaring.'")
    os.replace(staged, live)  # as orchestration/defs/publish.py swaps it
    app.run()
    assert not app.exception and app.main.caption[-1].value == "Tomme felter: Ny forklaring."


def test_a_city_of_areas_is_drawn_grey_under_the_municipality_without_a_legend():
    from dashboard.specs import areas_over_time

    def series(area_id: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "area_id": area_id,
                "area_name": area_id,
                "period": pd.to_datetime(["2025-11-01", "2025-12-01"]),
                "value": [0.1, 0.2],
                "suppressed": False,
            }
        )

    few = areas_over_time(pd.concat([series("BO01"), series("municipality")]), 100)
    assert few["encoding"]["color"]["field"] == "area_name"
    many = pd.concat([series(f"BO{i:02d}") for i in range(13)] + [series("municipality")])
    areas, municipality = areas_over_time(many, 100)["layer"]
    assert areas["mark"]["color"] == "#b0b0b0" and "color" not in areas["encoding"]
    assert municipality["encoding"]["color"]["scale"] == {"range": ["#c0392b"]}


def test_the_address_follows_what_is_on_screen(run):
    app = run("Område")
    app.selectbox[0].set_value("BO02").run()
    app.selectbox[1].set_value(dt.date(2025, 11, 1)).run()
    assert dict(app.query_params) == {
        "side": "Område",
        "omraade": "BO02",
        "maaned": "2025-11",
        "indikator": "emp_outside_work_edu",
    }
    app.sidebar.radio[0].set_value("Udskrift").run()  # the print page opens the same area
    assert app.selectbox[0].value == "BO02" and app.query_params["side"] == "Udskrift"


def test_the_map_draws_a_hidden_area_grey_with_the_reason(published):
    from dashboard.specs import area_map

    data = Published(published)
    cells = data.indicator_month("emp_outside_work_edu", dt.date(2025, 12, 1))
    spec = area_map(data.geometry(), cells, "pct", 100)
    shown = {f["properties"]["area"]: f["properties"] for f in spec["data"]["values"]}
    assert shown == {
        "Æblehaven": {"area": "Æblehaven", "value": 30.0, "shown": "30,0 %"},
        "Østervang": {"area": "Østervang", "value": None, "shown": "skjult (diskretion)"},
    }
    # Grey underneath every area; only published values are coloured.
    grey, coloured = spec["layer"]
    assert grey["mark"]["fill"] == "#d0d0d0" and "color" not in grey["encoding"]
    assert coloured["encoding"]["color"]["field"] == "properties.value"


def test_the_funnel_shows_published_areas_against_limits_around_the_municipality():
    from dashboard.specs import funnel, funnel_limits

    # p0 = 0.3 of 100: 0.3 +- 1.96 * sqrt(0.3 * 0.7 / 100) = 0.3 +- 0.0898.
    assert funnel_limits(0.3, "pct", np.array([100.0]), 1.96) == pytest.approx([0.38982], abs=1e-5)
    # A rate per person: 0.3 +- 1.96 * sqrt(0.3 / 100) = 0.3 +- 0.1074.
    assert funnel_limits(0.3, "per_100", np.array([100.0]), -1.96) == pytest.approx(
        [0.19264], abs=1e-5
    )
    cells = pd.DataFrame(
        {
            "area_id": ["BO01", "BO02", "municipality"],
            "area_name": ["Æblehaven", "Østervang", "Hele kommunen"],
            "area_level": ["area", "area", "municipality"],
            "value": [0.25, None, 0.3],
            "denominator": [100.0, None, 1000.0],
            "suppressed": [False, True, False],
        }
    )
    lines, level, dots = funnel(cells, "pct", 100)["layer"]
    assert dots["data"]["values"] == [{"area_name": "Æblehaven", "denominator": 100.0, "v": 25.0}]
    assert level["data"]["values"] == [{"v": 30.0}]
    limits = pd.DataFrame(lines["data"]["values"])
    assert sorted(limits["grænse"].unique()) == ["95 %", "99,8 %"] and len(limits) == 4 * 50
    # The denominators run from 0.8 to 1.1 times the published ones: 80 to 110.
    assert (limits["n"].min(), limits["n"].max()) == (80.0, 110.0)
    # A hidden municipality figure leaves nothing to compare against.
    hidden = cells.assign(suppressed=True)
    assert funnel(hidden, "pct", 100) == {"data": {"values": []}, "mark": "point"}
