"""The memory of the live published copy (quality/disclosure_memory.py)."""

import datetime as dt

import duckdb
import pytest

from quality.disclosure_memory import TABLE, LiveCopyUnreadable, remember_published

MARCH = dt.date(2025, 3, 1)


def live_copy(path, columns="area_id, period, indicator_id, numerator, denominator, suppressed"):
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"create table fct_area_indicator_month as select {columns} from (values"
            " ('A', date '2025-03-01', 'x', 10.0, 40.0, false),"
            " ('B', date '2025-03-01', 'x', null, null, true))"
            " as t (area_id, period, indicator_id, numerator, denominator, suppressed)"
        )
    return path


def remembered(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {TABLE} order by all").fetchall()


CELLS = [("A", MARCH, "x", 10.0, 40.0, False), ("B", MARCH, "x", None, None, True)]


def test_the_live_copys_shown_and_hidden_cells_are_remembered(tmp_path):
    warehouse, live = tmp_path / "wh.duckdb", live_copy(tmp_path / "live.duckdb")
    assert remember_published(warehouse, live) == (1, 0)
    assert remembered(warehouse) == CELLS
    assert remember_published(warehouse, live) == (1, 1)  # one shown before, one now
    live.unlink()  # no live copy: nothing to remember (the step warns)
    assert remember_published(warehouse, live) == (0, 1)
    assert remembered(warehouse) == []


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        (lambda p: p.write_text("not a database"), "not a valid DuckDB database"),
        (lambda p: live_copy(p, "area_id, period, indicator_id, numerator, suppressed"),
         "denominator"),
    ],
)  # fmt: skip
def test_a_live_copy_that_cannot_be_read_fails_naming_it_and_keeps_the_memory(
    tmp_path, broken, error
):
    warehouse = tmp_path / "wh.duckdb"
    remember_published(warehouse, live_copy(tmp_path / "good.duckdb"))
    live = tmp_path / "live.duckdb"
    broken(live)
    with pytest.raises(LiveCopyUnreadable, match=f"live published copy {live} cannot be read"):
        remember_published(warehouse, live)
    with pytest.raises(LiveCopyUnreadable, match=error):
        remember_published(warehouse, live)
    assert remembered(warehouse) == CELLS


def test_a_memory_from_before_the_hidden_cells_were_kept_is_brought_up_to_date(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema publication")
        con.execute(
            f"create table {TABLE} (area_id varchar, period date, indicator_id varchar,"
            " numerator double precision, denominator double precision)"
        )
        con.execute(f"insert into {TABLE} values ('A', '2025-03-01', 'x', 10, 40)")
    assert remember_published(warehouse, live_copy(tmp_path / "live.duckdb")) == (1, 1)
    assert remembered(warehouse) == CELLS
