"""The `area_signals` step through Dagster: what of the month's signals may be published."""

import dagster as dg
import duckdb
import numpy as np

from orchestration.defs.detection import area_signals
from orchestration.resources import KvarterStorage
from tests.signals.test_detect import INDICATORS, PERIODS, municipality


def test_a_signal_is_published_with_its_start_only_where_that_month_is(tmp_path):
    # A3 tripled from month 18 (alarm since then), A5 likewise; A5's onset month is hidden.
    observations = municipality(np.random.default_rng(1), shifted="A3", factor=3.0)
    other = municipality(np.random.default_rng(1), shifted="A5", factor=3.0)
    observations.loc[observations["area_id"] == "A5"] = other[other["area_id"] == "A5"]
    hidden = {("A5", PERIODS[18])}
    storage = KvarterStorage.under(tmp_path)
    with duckdb.connect(storage.warehouse_path) as con:
        for schema in ("restricted", "marts"):
            con.execute(f"create schema {schema}")
        con.register("observations", observations)
        con.execute("create table restricted.restricted_area_indicator_month as "
                    "select * from observations")  # fmt: skip
        con.execute(
            "create table marts.fct_area_indicator_month as select area_id, indicator_id, "
            "cast(period as date) as period, false as suppressed from observations"
        )
        for area, period in hidden:
            con.execute(
                "update marts.fct_area_indicator_month set suppressed = true "
                "where area_id = ? and period = ?",
                [area, period.date()],
            )
        con.register("indicators", INDICATORS)
        con.execute("create table marts.dim_indicator as select *, null as statutory_threshold, "
                    "null as rolling_window from indicators")  # fmt: skip

    assert dg.materialize([area_signals], resources={"storage": storage}).success
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        found = con.execute(
            "select area_id, severity, episode_start from signals.area_signals order by 1"
        ).fetchall()
        published = con.execute(
            "select area_id, episode_start from signals.signal_states order by 1"
        ).fetchall()
    assert found == [("A3", "alarm", PERIODS[18]), ("A5", "alarm", PERIODS[18])]
    assert published == [("A3", PERIODS[18].date()), ("A5", None)]
