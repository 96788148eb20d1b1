"""A hand-made published copy: two areas, one indicator, two months.

emp_outside_work_edu (pct, scale 100) in December 2025: BO01 "Æblehaven" 12 of 40
(30,0 %), BO02 "Østervang" hidden; the municipality 1.234,5 FTE of 4.115 (30,0 %).
November 2025: BO01 10 of 40 (25,0 %). Kvarterprofil December: BO01 change +5,0 points,
rank 1. Statutory list 2025: BO01 'ukendt', BO02 'ingen'. An alarm on BO01 since
September 2025. Episodes on BO01: a rise opened November 2025, ongoing in December; a fall
opened November, closed December.
"""

import json

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from dashboard.server import chromium


def square(x: float, y: float) -> str:
    ring = [[x, y], [x + 500, y], [x + 500, y + 500], [x, y + 500], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    path = tmp_path_factory.mktemp("published") / "kvarter.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            create table indicator_catalogue as select
                'emp_outside_work_edu' as indicator_id,
                '18-64-årige uden for arbejde eller uddannelse' as name_da,
                'Fuldtidspersoner på dagpenge, kontanthjælp blandt 18-64-årige.' as definition,
                'Fuldtidspersoner' as numerator, 'Beboere 18-64 år' as denominator,
                'pct' as unit, 100 as display_scale, 'higher' as worse_when
        """)
        con.execute(
            "create table disclosure_rules as select"
            " 'Tomme felter er skjult af hensyn til diskretion.' as explanation_da"
        )
        con.execute("""
            create table dim_area as select * from (values
                ('BO01', 'Æblehaven', 'area', 2),
                ('BO02', 'Østervang', 'area', 1),
                ('municipality', 'Hele kommunen', 'municipality', 3)
            ) as t (area_id, area_name, area_level, housing_departments)
        """)
        con.execute("create table area_geometry (area_id varchar, geometry_geojson varchar)")
        con.executemany(
            "insert into area_geometry values (?, ?)",
            [("BO01", square(560000, 6220000)), ("BO02", square(561000, 6220000))],
        )
        con.execute("""
            create table fct_area_indicator_month as select
                area_id, cast(period as date) as period, 'emp_outside_work_edu' as indicator_id,
                numerator, denominator, value, suppressed, 0.3 as municipality_value
            from (values
                ('BO01', '2025-12-01', 12.0, 40.0, 0.3, false),
                ('BO02', '2025-12-01', null, null, null, true),
                ('municipality', '2025-12-01', 1234.5, 4115.0, 0.3, false),
                ('BO01', '2025-11-01', 10.0, 40.0, 0.25, false)
            ) as t (area_id, period, numerator, denominator, value, suppressed)
        """)
        con.execute("""
            create table kvarterprofil as select
                'BO01' as area_id, date '2025-12-01' as period,
                0.3 as emp_outside_work_edu, 0.05 as emp_outside_work_edu_change_12m,
                1 as emp_outside_work_edu_rank
        """)
        con.execute("""
            create table statutory_criteria as select * from (values
                ('BO01', 2025, false, 'ukendt', 1, 2, 0.35, -0.05, null, null, null, null,
                    null, null, null, null),
                ('BO02', 2025, false, 'ingen', 0, 0, 0.2, -0.2, null, null, null, null, null,
                    null, null, null),
                ('BO01', 2026, true, 'ukendt', 1, 3, 0.42, 0.02, null, null, null, null,
                    null, null, null, null)
            ) as t (area_id, list_year, preliminary, classification, criteria_met,
                criteria_unknown, c1_outside_work_edu, c1_distance, c2_conviction_ratio,
                c2_distance, c3_basic_education, c3_distance, c4_income_ratio, c4_distance,
                non_western_share, withheld_values)
        """)
        con.execute("""
            create table signals as select
                'BO01' as area_id, 'emp_outside_work_edu' as indicator_id,
                date '2025-12-01' as period, 'alarm' as severity,
                date '2025-09-01' as episode_start
        """)
        con.execute("""
            create table alert_episodes as select * from (values
                ('BO01-emp_outside_work_edu-op-2025-11', 'BO01', 'emp_outside_work_edu',
                    'igangværende', date '2025-11-01', date '2025-09-01', null),
                ('BO01-emp_outside_work_edu-ned-2025-11', 'BO01', 'emp_outside_work_edu',
                    'afsluttet', date '2025-11-01', null, date '2025-12-01')
            ) as t (episode_id, area_id, indicator_id, state, start_month, onset_month,
                end_month)
        """)
        con.execute("""
            create table alert_transitions as select * from (values
                (1, 'BO01-emp_outside_work_edu-op-2025-11', date '2025-11-01', null, 'ny'),
                (2, 'BO01-emp_outside_work_edu-ned-2025-11', date '2025-11-01', null, 'ny'),
                (3, 'BO01-emp_outside_work_edu-op-2025-11', date '2025-12-01', 'ny',
                    'igangværende'),
                (4, 'BO01-emp_outside_work_edu-ned-2025-11', date '2025-12-01', 'ny',
                    'afsluttet')
            ) as t (step, episode_id, month, from_state, to_state)
        """)
        con.execute("""
            create table dim_housing_department as select
                'afd. 1' as housing_department, 'BO01' as area_id,
                date '2024-01-01' as valid_from, cast(null as date) as valid_to,
                120 as max_dwellings
        """)
    return path


@pytest.fixture(scope="session")
def demo(tmp_path_factory, code_location, wire):
    """The demo municipality run through the pipeline: its warehouse and published copy
    (as `make demo` builds them, in a folder of its own)."""
    # Imported here: the pipeline's imports are slow and only these tests need them.
    from orchestration.pipeline import run_pipeline
    from orchestration.resources import KvarterStorage
    from sources.synthetic.municipality import generate

    storage = KvarterStorage.under(tmp_path_factory.mktemp("demo"))
    generate(storage.landing, seed=42)
    with wire(storage) as live:
        assert run_pipeline(code_location, live).success
    return storage


@pytest.fixture
def browser_page():
    """A Chromium page that records every script error and console error."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on(
            "console",
            lambda message: message.type == "error" and page.errors.append(message.text),
        )
        yield page
        browser.close()
