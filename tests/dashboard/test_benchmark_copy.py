"""The page-speed benchmark's city-shaped copy, made from the hand-made published copy
(2 areas, months November and December 2025): each area copied 34 times, the months
shifted back 24 and 48 months."""

import datetime as dt
import json

import duckdb

from benchmarks.dashboard import city_copy
from dashboard.published import Published


def test_the_city_shaped_copy_multiplies_areas_and_months(published, tmp_path):
    target = tmp_path / "city.duckdb"
    counts = city_copy(published, target)
    # 3 area cells x 34 copies x 3 shifts, and the municipality's cell x 3 shifts.
    assert counts == {
        "fct_area_indicator_month": 309,
        "dim_area": 69,
        "signals": 34,
        "alert_episodes": 2 * 34,
        "months": 6,
    }
    Published(target).check()  # every table the pages read is there
    with duckdb.connect(str(target), read_only=True) as con:
        months = con.execute(
            "select distinct strftime(period, '%Y-%m') from fct_area_indicator_month order by 1"
        ).fetchall()
        assert [m for (m,) in months] == [
            "2021-11", "2021-12", "2023-11", "2023-12", "2025-11", "2025-12"
        ]  # fmt: skip
        # Copy k = 2 of Æblehaven (BO01, 12 of 40 in December 2025), shifted 24 months:
        # factor 0.8 + 0.4 * ((2 * 7 + 24) % 11) / 10 = 1.0.
        assert con.execute(
            "select area_name, numerator, denominator from fct_area_indicator_month"
            " inner join dim_area using (area_id)"
            " where area_id = 'BO01-02' and period = date '2023-12-01'"
        ).fetchall() == [("Æblehaven 3", 12.0, 40.0)]
        # The second copy (Østervang, n = 1) is the grid's second square, 800 m east.
        [(shape,)] = con.execute(
            "select geometry_geojson from area_geometry where area_id = 'BO02-00'"
        ).fetchall()
        assert json.loads(shape)["coordinates"][0][0] == [560800, 6220000]
        # 2 decided rows x 3 shifts, the preliminary one unshifted; one (area, year) each.
        assert con.execute("select count(*) from statutory_criteria").fetchone() == (7 * 34,)
        assert con.execute(
            "select count(*) from (select distinct area_id, list_year from statutory_criteria)"
        ).fetchone() == (7 * 34,)
        # Each copy of BO01 has its own episodes, and their transitions follow them.
        assert con.execute(
            "select month, from_state, to_state from alert_transitions"
            " where episode_id = 'BO01-07-emp_outside_work_edu-op-2025-11' order by step"
        ).fetchall() == [
            (dt.date(2025, 11, 1), None, "ny"),
            (dt.date(2025, 12, 1), "ny", "igangværende"),
        ]
