"""The extract's contract suite as SQL aggregates: the counts GX's pandas engine gives."""

import datetime as dt

import duckdb
import pytest

from quality.gx_runner import run_suites
from quality.source_suites import contract_expectations, expectation_sql, validate_source
from sources.registry import ALL_CONTRACTS

BENEFITS = next(c for c in ALL_CONTRACTS if c.table == "employment__benefits")
JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
P1, P2 = "a" * 8 + "-aaaa" * 3 + "-" + "a" * 12, "b" * 8 + "-bbbb" * 3 + "-" + "b" * 12


def _raw(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """raw.employment__benefits with (person_key, benefit_type, start_date, weekly_extent,
    period) rows; end_date empty. The person key is text here, so that a CPR number left
    unpseudonymised can be stored (the warehouse's uuid column would refuse it)."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(BENEFITS.ddl("raw"))
    con.execute("alter table raw.employment__benefits alter person_key type varchar")
    con.executemany(
        "insert into raw.employment__benefits values (?, ?, ?, null, ?, ?, 'f.csv', 2)",
        [list(r) for r in rows],
    )
    return con


def _failures(result) -> dict:
    return {(f.expectation, f.column): f.unexpected_count for f in result.failures}


# Failures of every kind, in February: a CPR number left unpseudonymised and a missing
# person key, an unknown benefit, an extent above 1 and one below 0, and P1's su from
# February 1st delivered twice (both rows break the key). January has one more bad
# extent, March a clean repeat of February's key (no duplicate: keys are per period).
ROWS = [
    (P1, "su", FEB, 0.5, FEB),
    (P1, "su", FEB, 0.5, FEB),
    ("0101901234", "su", FEB, 0.5, FEB),
    (None, "su", FEB, 0.5, FEB),
    (P2, "lottogevinst", FEB, 0.5, FEB),
    (P2, "su", FEB, 1.5, FEB),
    (P2, "dagpenge", FEB, -0.25, FEB),
    (P2, "su", JAN, 2.0, JAN),
    (P1, "su", FEB, 0.5, MAR),
]


def test_the_suite_counts_each_failure_by_hand():
    result = validate_source(_raw(ROWS), BENEFITS, [FEB])
    assert not result.success
    assert result.evaluated == len(contract_expectations(BENEFITS)) == 9
    assert _failures(result) == {
        ("expect_compound_columns_to_be_unique", None): 2,
        ("expect_column_values_to_not_be_null", "person_key"): 1,
        ("expect_column_values_to_match_regex", "person_key"): 1,
        ("expect_column_values_to_be_in_set", "benefit_type"): 1,
        ("expect_column_values_to_be_between", "weekly_extent"): 2,
    }
    # The run's periods only: January's extent counts when January is in the run.
    failures = _failures(validate_source(_raw(ROWS), BENEFITS, [JAN, FEB, MAR]))
    assert failures[("expect_column_values_to_be_between", "weekly_extent")] == 3
    assert failures[("expect_compound_columns_to_be_unique", None)] == 2
    clean = validate_source(_raw(ROWS), BENEFITS, [MAR])
    assert clean.success and clean.failures == [] and clean.evaluated == 9


def test_the_sql_counts_are_gx_pandas_counts():
    con = _raw(ROWS)
    frame = con.execute("select * from raw.employment__benefits where period = ?", [FEB]).df()
    [gx_result] = run_suites([("benefits", frame, contract_expectations(BENEFITS))])
    sql_result = validate_source(con, BENEFITS, [FEB])
    assert _failures(sql_result) == _failures(gx_result)
    assert (sql_result.success, sql_result.evaluated) == (gx_result.success, gx_result.evaluated)


def test_a_repeated_bad_person_key_counts_on_every_row():
    # The regex is matched once per distinct value; each row with that value counts.
    rows = [("0101901234", "su", FEB, 0.5, FEB), ("0101901234", "su", JAN, 0.5, FEB)]
    rows += [(P1, "su", FEB, 0.5, FEB), ("0101901234", "su", FEB, 0.5, MAR)]
    failures = _failures(validate_source(_raw(rows), BENEFITS, [FEB]))
    assert failures == {("expect_column_values_to_match_regex", "person_key"): 2}


def test_a_changed_table_fails_the_column_set_uncounted():
    con = _raw(ROWS)
    con.execute("alter table raw.employment__benefits drop column weekly_extent")
    failures = _failures(validate_source(con, BENEFITS, [MAR]))
    assert failures == {
        ("expect_table_columns_to_match_set", None): None,
        ("expect_column_values_to_not_be_null", "weekly_extent"): None,
        ("expect_column_values_to_be_between", "weekly_extent"): None,
    }


def test_options_without_sql_are_refused():
    import great_expectations as gx

    loose = gx.expectations.ExpectColumnValuesToNotBeNull(column="a", mostly=0.9)
    with pytest.raises(NotImplementedError, match="mostly"):
        expectation_sql(loose, "t")
    unknown = gx.expectations.ExpectColumnValuesToBeUnique(column="a")
    with pytest.raises(NotImplementedError, match="expect_column_values_to_be_unique"):
        expectation_sql(unknown, "t")
