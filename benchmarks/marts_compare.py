"""Row count and an order-free content hash of every table in a warehouse schema, to tell
whether two builds made the same marts (floats rounded, so sums added in another order
still match)."""

import duckdb

FLOAT_DIGITS = 6  # doubles compared to 6 significant decimals after rounding


def _column_expr(name: str, data_type: str) -> str:
    quoted = f'"{name}"'
    if data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL"):
        return f"round({quoted}::double, {FLOAT_DIGITS})::varchar"
    return f"{quoted}::varchar"


def fingerprints(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> dict[str, tuple]:
    """{table: (rows, hash)}; the hash is a sum of row hashes, so row order does not count."""
    columns: dict[str, list[str]] = {}
    for table, name, data_type in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall():
        columns.setdefault(table, []).append(_column_expr(name, data_type))
    result = {}
    for table, exprs in columns.items():
        row = ", ".join(f"coalesce({e}, '<null>')" for e in exprs)
        rows, digest = con.execute(
            f"select count(*), coalesce(sum(hash(concat_ws('|', {row}))::hugeint), 0)::varchar "
            f'from {schema}."{table}"'
        ).fetchall()[0]
        result[table] = (rows, digest)
    return result


def differences(left: dict[str, tuple], right: dict[str, tuple]) -> list[str]:
    """Tables missing on one side or with other rows or content; empty when identical."""
    return [
        table for table in sorted(left.keys() | right.keys()) if left.get(table) != right.get(table)
    ]
