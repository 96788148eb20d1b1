"""Page speed of the dashboard in a real browser at the city scale (200 areas, 60 months).

    make demo && .venv/bin/python -m benchmarks.dashboard --repeat 3

The city-scale published copy is made from the demo's (`--demo`, default
data/published/kvarter.duckdb) by copying each of its 6 areas 34 times (200 areas, each
copy's counts and values scaled a little, so no two are alike) and its 24 months shifted
back 24 and 48 months (the latest 60 kept: 2021-01 to 2025-12); the boundaries are a
20 x 10 grid of squares, the signals, alert episodes and housing departments follow
their area's copies. Only the shape matters here (rows, areas, months, polygons); building the city
through the pipeline takes some 15 minutes and measures the pipeline, not the dashboard.

Each repeat starts the server on that copy and measures, in Debian's Chromium:
- first page: from starting the server to the overview drawn (target: 5 s);
- each page on its first visit (queries not yet cached) and on three later visits
  (target: 2 s), "drawn" meaning its text shown, the script run finished and every
  chart drawn.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from playwright.sync_api import Page, sync_playwright

from benchmarks.record import append
from dashboard.server import chromium, dashboard

RESULTS = Path(__file__).parent / "results" / "dashboard.jsonl"
AREAS, COPIES, MONTHS, SHIFTS = 200, 34, 60, (0, 24, 48)
# Page and a text that only its finished rendering shows, whatever the copy holds.
PAGES = {
    "Oversigt": "Hele kommunen, ",
    "Område": "Boligafdelinger i området",
    "Indikator": "Tragtdiagram, ",
    "Lovkriterier": "Afstand: positiv er på den side af grænsen",
    "Signaler": "Tidligere episoder",
    "Udskrift": "Kvarterprofil: ",
}
WARM_VISITS = 3


def city_copy(demo: Path, target: Path) -> dict[str, int]:
    """The city-shaped published copy described above; returns its row counts."""
    con = duckdb.connect(str(target))
    con.execute(f"attach '{demo}' as demo (read_only)")
    # Copy k of area a: 'BO01-07'; only the first 200 copies are kept.
    con.execute(f"""
        create temp table copies as
        select area_id, area_id || '-' || lpad(cast(k as varchar), 2, '0') as copy_id,
            area_name || ' ' || (k + 1) as copy_name, k,
            row_number() over (order by k, area_id) - 1 as n
        from demo.dim_area, range({COPIES}) as r(k)
        where area_level = 'area'
        qualify n < {AREAS}
    """)
    con.execute(
        f"create temp table shifts as select * from (values {', '.join(f'({s})' for s in SHIFTS)})"
        " as t(months)"
    )
    # An area copy's counts and values differ from its original by a factor in [0.8, 1.2].
    factor = "(0.8 + 0.4 * ((c.k * 7 + s.months) % 11) / 10.0)"
    latest = "(select max(period) from demo.fct_area_indicator_month)"
    con.execute(f"""
        create table fct_area_indicator_month as
        select f.* replace (
            coalesce(c.copy_id, f.area_id) as area_id,
            cast(f.period - to_months(s.months) as date) as period,
            f.numerator * coalesce({factor}, 1) as numerator,
            f.denominator * coalesce({factor}, 1) as denominator,
            f.value * coalesce({factor}, 1) as value
        )
        from demo.fct_area_indicator_month as f cross join shifts as s
        left join copies as c on f.area_id = c.area_id
        where f.period - to_months(s.months) > {latest} - to_months({MONTHS})
    """)
    con.execute("""
        create table dim_area as
        select a.* replace (c.copy_id as area_id, c.copy_name as area_name)
        from demo.dim_area as a inner join copies as c using (area_id)
        union all select * from demo.dim_area where area_level <> 'area'
    """)
    con.execute("""
        create table area_geometry as
        select copy_id as area_id, '{"type": "Polygon", "coordinates": [[' || string_agg(
            '[' || (560000 + 800 * (n % 20) + dx) || ', ' || (6220000 + 800 * (n // 20) + dy)
            || ']', ', ' order by corner) || ']]}' as geometry_geojson
        from copies, (values (0, 0, 0), (1, 750, 0), (2, 750, 750), (3, 0, 750), (4, 0, 0))
            as corners(corner, dx, dy)
        group by copy_id
    """)
    for table, changes in {
        "kvarterprofil": (
            "cast(t.period - to_months(s.months) as date) as period",
            f"t.period - to_months(s.months) > {latest} - to_months({MONTHS})",
        ),
        # A preliminary list year stays the newest: the shifted copies are decided years.
        "statutory_criteria": (
            "t.list_year - s.months // 12 as list_year",
            "not t.preliminary or s.months = 0",
        ),
    }.items():
        moved, kept = changes
        con.execute(f"""
            create table {table} as
            select t.* replace (coalesce(c.copy_id, t.area_id) as area_id, {moved})
            from demo.{table} as t cross join shifts as s
            left join copies as c on t.area_id = c.area_id
            where {kept}
        """)
    for table in ("signals", "dim_housing_department"):
        con.execute(f"""
            create table {table} as select t.* replace (c.copy_id as area_id)
            from demo.{table} as t inner join copies as c using (area_id)
        """)
    # An episode's id starts with its area's: the copy's id takes the copy's area.
    copied_id = "c.copy_id || substr(t.episode_id, length(c.area_id) + 1) as episode_id"
    con.execute(f"""
        create table alert_episodes as select t.* replace (c.copy_id as area_id, {copied_id})
        from demo.alert_episodes as t inner join copies as c using (area_id)
    """)
    con.execute(f"""
        create table alert_transitions as select t.* replace ({copied_id})
        from demo.alert_transitions as t
        inner join demo.alert_episodes as e on t.episode_id = e.episode_id
        inner join copies as c on e.area_id = c.area_id
    """)
    for table in ("indicator_catalogue", "disclosure_rules"):
        con.execute(f"create table {table} as select * from demo.{table}")
    counts = {
        t: con.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("fct_area_indicator_month", "dim_area", "signals", "alert_episodes")
    }
    counts["months"] = con.execute(
        "select count(distinct period) from fct_area_indicator_month"
    ).fetchone()[0]
    con.close()
    return counts


def drawn(page: Page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )
    page.wait_for_function(
        "[...document.querySelectorAll('.vega-embed')].every(e => e.querySelector('canvas, svg'))",
        timeout=60_000,
    )


def visit(page: Page, name: str) -> float:
    start = time.perf_counter()
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    drawn(page, PAGES[name])
    return time.perf_counter() - start


def run_once(published: Path, log: Path) -> dict:
    """Start the server, time the first page and every page cold and warm."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        with dashboard(published, log) as url:
            up = time.perf_counter() - start
            page.goto(url)
            drawn(page, PAGES["Oversigt"])
            first = time.perf_counter() - start
            # The overview first, then the rest: each page's first visit is a cold one.
            order = [*list(PAGES)[1:], "Oversigt"]
            cold = {name: visit(page, name) for name in order}
            # Later visits, each page reached from another one (the queries now cached).
            rounds = [{name: visit(page, name) for name in order} for _ in range(WARM_VISITS)]
            warm = {name: [r[name] for r in rounds] for name in order}
        browser.close()
    return {"server_up_s": up, "first_page_s": first, "cold_s": cold, "warm_s": warm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", type=Path, default=Path("data/published/kvarter.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # The machine is shared: other work on its 2 cores slows every figure down.
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        published = Path(folder) / "kvarter.duckdb"
        counts = city_copy(args.demo, published)
        runs = [run_once(published, Path(folder) / "server.log") for _ in range(args.repeat)]
    pages = list(PAGES)
    median = statistics.median
    append(
        RESULTS,
        {
            "copy": counts,
            "repeats": args.repeat,
            "load_average_1m_before": round(load, 1),
            "median_server_up_s": round(median(r["server_up_s"] for r in runs), 2),
            "median_first_page_s": round(median(r["first_page_s"] for r in runs), 2),
            "median_cold_s": {p: round(median(r["cold_s"][p] for r in runs), 2) for p in pages},
            "median_warm_s": {
                p: round(median(v for r in runs for v in r["warm_s"][p]), 2) for p in pages
            },
            "max_s": round(max(v for r in runs for v in [*r["cold_s"].values()]), 2),
            "runs": [
                {
                    "server_up_s": round(r["server_up_s"], 2),
                    "first_page_s": round(r["first_page_s"], 2),
                    "cold_s": {p: round(v, 2) for p, v in r["cold_s"].items()},
                }
                for r in runs
            ],
        },
    )


if __name__ == "__main__":
    main()
