"""Run the validator on an in-memory DuckDB and return what it produced as DataFrames."""

from types import SimpleNamespace

import duckdb
import pandas as pd

from sources.validate import Pseudonymiser, validate_deliveries


def frame(con, sql):
    """A query's rows as a DataFrame of plain Python values (dates stay dates)."""
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    return pd.DataFrame(result.fetchall(), columns=columns, dtype=object)


def run(cells, contract, key=b"test-key"):
    con = duckdb.connect()
    [stats] = validate_deliveries(con, contract, [cells], Pseudonymiser(key))
    # One delivery: its `part` is 0 throughout.
    records = frame(con, "select * exclude (part) from validated_records order by source_line")
    quarantine = frame(con, "select * exclude (part) from validated_quarantine order by line")
    assert stats.rows_read == len(records) + len(quarantine)
    return SimpleNamespace(records=records, quarantine=quarantine, rows_read=stats.rows_read)
