import duckdb

from benchmarks.marts_compare import differences, fingerprints


def _warehouse(rows: list[tuple], extra_table: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.cells (area varchar, value double, n bigint)")
    con.executemany("insert into marts.cells values (?, ?, ?)", rows)
    if extra_table:
        con.execute("create table marts.more (x int)")
    return con


ROWS = [("A", 0.1 + 0.2, 3), ("B", None, 1), ("C", 2.5, None)]


def test_same_rows_in_another_order_and_float_noise_are_identical():
    left = fingerprints(_warehouse(ROWS))
    # 0.3 is not 0.1 + 0.2 in doubles; 6 decimals hide the difference.
    right = fingerprints(_warehouse([("C", 2.5, None), ("A", 0.3, 3), ("B", None, 1)]))
    assert left["cells"][0] == 3
    assert differences(left, right) == []


def test_a_changed_value_a_null_or_a_missing_table_is_reported():
    base = fingerprints(_warehouse(ROWS))
    changed = fingerprints(_warehouse([("A", 0.3001, 3), *ROWS[1:]]))
    null_moved = fingerprints(_warehouse([("A", 0.3, 3), ("B", None, None), ("C", 2.5, 1)]))
    assert differences(base, changed) == ["cells"]
    assert differences(base, null_moved) == ["cells"]
    assert differences(base, fingerprints(_warehouse(ROWS, extra_table=True))) == ["more"]


def test_a_duplicated_row_is_not_the_same_content():
    # A sum of row hashes: one row twice differs from the row once (unlike xor).
    once = fingerprints(_warehouse(ROWS))
    twice = fingerprints(_warehouse([*ROWS, ROWS[0]]))
    assert differences(once, twice) == ["cells"]
    assert twice["cells"][0] == 4
