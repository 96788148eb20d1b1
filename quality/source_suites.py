"""Great Expectations suites for the raw source tables, derived from their contracts.

The same contract that drives the reader (sources/<system>.py) declares what the GX
suite expects of the loaded table: columns, required values, allowed values, ranges,
unique keys per period, and person keys that are pseudonyms, never CPR numbers.

The suite runs where the data is: each GX expectation of the suite becomes one SQL
aggregate over the run's periods of the raw table (`expectation_sql`), so a city's
tens of millions of rows never become pandas frames. The SQL is generated from the GX
expectation's own configuration, never written by hand, and a test holds its results
equal to GX's pandas engine on the same rows (tests/quality/test_source_suites.py).
"""

import datetime as dt

import duckdb

from quality.gx_runner import Failure, SuiteResult
from sources.contracts import Contract
from sources.warehouse import RAW_SCHEMA, raw_columns

# sources/cpr.py: pseudonymise, as text
PSEUDONYM = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Expectations whose SQL is a query of its own, not an aggregate in the shared scan.
WHOLE_QUERIES = ("expect_compound_columns_to_be_unique", "expect_column_values_to_match_regex")


def contract_expectations(contract: Contract) -> list:
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectTableColumnsToMatchSet(column_set=contract.column_names(), exact_match=True),
        e.ExpectCompoundColumnsToBeUnique(column_list=["period", *contract.key]),
    ]
    for c in contract.columns:
        if not c.nullable:
            expectations.append(e.ExpectColumnValuesToNotBeNull(column=c.name))
        if c.allowed:
            expectations.append(
                e.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.allowed))
            )
        if c.minimum is not None or c.maximum is not None:
            expectations.append(
                e.ExpectColumnValuesToBeBetween(
                    column=c.name, min_value=c.minimum, max_value=c.maximum
                )
            )
        if c.kind == "cpr":
            expectations.append(e.ExpectColumnValuesToMatchRegex(column=c.name, regex=PSEUDONYM))
    return expectations


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"no SQL literal for {value!r}")
    return repr(value)


def _unexpected(expectation) -> str:
    """SQL condition of a row GX counts as unexpected for a column map expectation: like
    GX, a null fails only the not-null expectation (the others skip it). Portable SQL
    (`~` is a partial regex match in DuckDB and PostgreSQL alike, as GX's re.search)."""
    column = f'"{expectation.column}"'
    kind = expectation.expectation_type
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is null"
    if kind == "expect_column_values_to_be_in_set":
        return f"{column} not in ({', '.join(_literal(v) for v in expectation.value_set)})"
    if kind == "expect_column_values_to_be_between":
        if expectation.strict_min or expectation.strict_max:
            raise NotImplementedError(f"{kind}: strict bounds")
        bounds = []
        if expectation.min_value is not None:
            bounds.append(f"{column} < {_literal(expectation.min_value)}")
        if expectation.max_value is not None:
            bounds.append(f"{column} > {_literal(expectation.max_value)}")
        return " or ".join(bounds)
    if kind == "expect_column_values_to_match_regex":
        # As text: the warehouse's person keys are UUIDs, which a regex does not take.
        return f"not (cast({column} as varchar) ~ {_literal(expectation.regex)})"
    raise NotImplementedError(f"no SQL for the expectation {kind}")


def _supported(expectation) -> None:
    kind = expectation.expectation_type
    if getattr(expectation, "row_condition", None) or getattr(expectation, "mostly", 1) != 1:
        raise NotImplementedError(f"{kind}: row_condition and mostly have no SQL here")
    if getattr(expectation, "ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
        raise NotImplementedError(f"{kind}: ignore_row_if={expectation.ignore_row_if}")


def expectation_sql(expectation, table: str) -> str:
    """SQL counting the rows of `table` GX would call unexpected: an aggregate over the
    table's rows for a column map expectation, a whole query for a compound key or a
    regex (WHOLE_QUERIES)."""
    _supported(expectation)
    if expectation.expectation_type == "expect_compound_columns_to_be_unique":
        # Every row of a repeated key counts, as in GX: one group-by, no sort of the rows.
        key = ", ".join(f'"{c}"' for c in expectation.column_list)
        all_missing = " and ".join(f'"{c}" is null' for c in expectation.column_list)
        return (
            f"select coalesce(sum(n), 0) from (select count(*) as n from {table} "
            f"where not ({all_missing}) group by {key} having count(*) > 1) as repeated"
        )
    condition = _unexpected(expectation)
    if expectation.expectation_type == "expect_column_values_to_match_regex":
        # A whole query: a regex costs more than a group-by, so each distinct value is
        # matched once and counts as often as it occurs (a person recurs every month).
        column = f'"{expectation.column}"'
        return (
            f"select coalesce(sum(n), 0) from (select {column}, count(*) as n from {table} "
            f"where {column} is not null group by {column}) as distinct_values where {condition}"
        )
    if expectation.expectation_type != "expect_column_values_to_not_be_null":
        condition = f'"{expectation.column}" is not null and ({condition})'
    return f"count(case when {condition} then 1 end)"


def _repeated_rows(con: duckdb.DuckDBPyConnection, expectation, rows: str, bounds: list) -> int:
    """Rows of repeated keys. A key that holds the period is counted a period at a time:
    DuckDB then holds one month's keys (a city's 616k residents), not a backfill's 37
    million; the raw table is stored period by period, so each query reads only its own."""
    query = expectation_sql(expectation, rows)
    if "period" not in expectation.column_list:
        return con.execute(query, bounds).fetchall()[0][0]
    periods = con.execute(f"select distinct period from {rows}", bounds).fetchall()
    return sum(con.execute(query, [p, p]).fetchall()[0][0] for (p,) in periods)


def validate_source(
    con: duckdb.DuckDBPyConnection, contract: Contract, periods: list[dt.date]
) -> SuiteResult:
    """The contract suite over the raw table's rows from the first to the last of
    `periods`: one scan for every column expectation but the regex (a group-by of the
    column's values) and a group-by per period for the key, in DuckDB's bounded memory,
    instead of frames of the run's rows in pandas."""
    expectations = contract_expectations(contract)
    rows = (
        f"(select * from {RAW_SCHEMA}.{contract.table} where period between ? and ?) as suite_rows"
    )
    bounds = [min(periods), max(periods)]
    columns = set(raw_columns(con, contract))
    counts: dict[int, int | None] = {}
    per_row = []
    for i, expectation in enumerate(expectations):
        kind = expectation.expectation_type
        needed = set(getattr(expectation, "column_list", [getattr(expectation, "column", None)]))
        if kind == "expect_table_columns_to_match_set":
            expected = set(expectation.column_set)
            matched = columns == expected if expectation.exact_match else expected <= columns
            counts[i] = 0 if matched else None
        elif not needed <= columns:
            counts[i] = None  # GX fails an expectation on a missing column, uncounted
        elif kind == "expect_compound_columns_to_be_unique":
            counts[i] = _repeated_rows(con, expectation, rows, bounds)
        elif kind in WHOLE_QUERIES:
            counts[i] = con.execute(expectation_sql(expectation, rows), bounds).fetchall()[0][0]
        else:
            per_row.append(i)
    if per_row:
        found = con.execute(
            f"select {', '.join(expectation_sql(expectations[i], rows) for i in per_row)} "
            f"from {rows}",
            bounds,
        ).fetchall()[0]
        counts.update(zip(per_row, found, strict=True))
    failures = [
        Failure(e.expectation_type, getattr(e, "column", None), counts[i])
        for i, e in enumerate(expectations)
        if counts[i] != 0
    ]
    return SuiteResult(
        suite=f"{RAW_SCHEMA}.{contract.table}",
        success=not failures,
        evaluated=len(expectations),
        failures=failures,
    )
