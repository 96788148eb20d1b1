"""The extract's contract suite, run chunk by chunk of whole periods (bounded memory)."""

import datetime as dt

import duckdb
import pandas as pd

from quality.gx_runner import Failure, SuiteResult
from quality.source_suites import combined, validate_source
from sources.registry import ALL_CONTRACTS
from sources.warehouse import period_chunks

VACANCIES = next(c for c in ALL_CONTRACTS if c.table == "housing__vacancies")
JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)


def _raw(rows: list[tuple[str, dt.date | None, dt.date]]) -> duckdb.DuckDBPyConnection:
    """raw.housing__vacancies with (address_id, vacant_since, period) rows."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.housing__vacancies (address_id varchar, vacant_since date, "
        "period date, delivery_file varchar, source_line bigint)"
    )
    con.executemany(
        "insert into raw.housing__vacancies values (?, ?, ?, 'f.csv', 2)", [list(r) for r in rows]
    )
    return con


def _months(counts: dict[dt.date, int]) -> list[tuple[str, dt.date, dt.date]]:
    return [(f"A{p:%m}{i}", p, p) for p, n in counts.items() for i in range(n)]


def test_chunks_are_whole_periods_up_to_the_row_bound():
    con = _raw(_months({JAN: 3, FEB: 2, MAR: 4}))
    # 3 + 2 = 5 fits the bound of 5; March's 4 would make 9: a chunk of its own.
    chunks = list(period_chunks(con, "housing__vacancies", [JAN, FEB, MAR], max_rows=5))
    assert [(label, len(frame)) for label, frame in chunks] == [
        ("2025-01..2025-02", 5),
        ("2025-03..2025-03", 4),
    ]
    # A period larger than the bound is still one chunk, never split.
    chunks = list(period_chunks(con, "housing__vacancies", [JAN, FEB, MAR], max_rows=3))
    assert [(label, len(frame)) for label, frame in chunks] == [
        ("2025-01..2025-01", 3),
        ("2025-02..2025-02", 2),
        ("2025-03..2025-03", 4),
    ]
    # Only the run's periods.
    [(label, frame)] = period_chunks(con, "housing__vacancies", [FEB])
    assert (label, sorted(frame["address_id"])) == ("2025-02..2025-02", ["A020", "A021"])


def test_failures_are_summed_over_the_chunks():
    not_null = "expect_column_values_to_not_be_null"
    first = SuiteResult("t a", False, 7, [Failure(not_null, "a", 1)])
    second = SuiteResult("t b", False, 7, [Failure(not_null, "a", 2), Failure("x", "b", None)])
    clean = SuiteResult("t c", True, 7, [])
    assert combined("t", [first, second, clean]) == SuiteResult(
        "t", False, 7, [Failure(not_null, "a", 3), Failure("x", "b", None)]
    )
    assert combined("t", [clean, clean]) == SuiteResult("t", True, 7, [])


def test_the_suite_over_chunks_finds_what_the_whole_table_has():
    # Missing vacant_since once in January and twice in March; A020 twice in February
    # (both rows break the key), and again in March, which is no duplicate: keys are
    # unique per period, so chunks of whole periods see every duplicate.
    rows = [*_months({JAN: 2, FEB: 2, MAR: 2}), ("B1", None, JAN)]
    rows += [("B2", None, MAR), ("B3", None, MAR), ("A020", FEB, FEB), ("A020", FEB, MAR)]
    con = _raw(rows)
    chunks = period_chunks(con, "housing__vacancies", [JAN, FEB, MAR], max_rows=3)
    result = validate_source(VACANCIES, chunks)
    assert not result.success
    failures = {(f.expectation, f.column): f.unexpected_count for f in result.failures}
    assert failures == {
        ("expect_column_values_to_not_be_null", "vacant_since"): 3,
        ("expect_compound_columns_to_be_unique", None): 2,
    }
    clean = _raw(_months({JAN: 2, FEB: 1}))
    whole = validate_source(VACANCIES, period_chunks(clean, "housing__vacancies", [JAN, FEB]))
    assert whole.success and whole.failures == []
    assert isinstance(next(period_chunks(clean, "housing__vacancies", [JAN]))[1], pd.DataFrame)
