import datetime as dt
import uuid

import duckdb
import pandas as pd

from sources.employment import BENEFITS
from sources.validate import QUARANTINE_COLUMNS, Validated
from sources.warehouse import create_raw_tables, replace_partitions

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
# Person keys as the extract writes them (sources/cpr.py: pseudonymise)
P1, P2, P3 = (uuid.UUID(int=i) for i in (1, 2, 3))


def delivery(con, *rows, quarantined=0):
    """Leave a validated delivery on the connection, as sources.validate does (and the raw
    tables, as the extract does before its first period)."""
    create_raw_tables(con, (BENEFITS,))
    con.register(
        "records",
        pd.DataFrame(
            [(str(k), t, MARCH, None, f, i + 2) for i, (k, t, f) in enumerate(rows)],
            columns=[c.name for c in BENEFITS.columns] + ["source_line"],
        ).astype(object),
    )
    con.execute("""
        create or replace temp table validated_records as select 0 as part, person_key,
            benefit_type,
            cast(start_date as date) as start_date, cast(end_date as date) as end_date,
            cast(weekly_extent as double) as weekly_extent,
            cast(source_line as bigint) as source_line
        from records
    """)
    con.register(
        "bad",
        pd.DataFrame(
            [(99, "cpr", "<redacted>", "bad")] * quarantined, columns=QUARANTINE_COLUMNS
        ).astype(object),
    )
    con.execute("""
        create or replace temp table validated_quarantine as select 0 as part,
            cast(line as bigint) as line,
            cast(column_name as varchar) as column_name, cast(value as varchar) as value,
            cast(reason as varchar) as reason from bad
    """)
    return Validated(len(rows) + quarantined, len(rows), quarantined)


def replace(con, period, delivery_file, validated):
    """One period replaced alone (a batch of one delivery, `part` 0)."""
    [stats] = replace_partitions(con, BENEFITS, [(period, delivery_file)], [validated])
    return stats


def content(con):
    return con.execute(
        "select period, person_key, benefit_type, weekly_extent from raw.employment__benefits "
        "order by all"
    ).fetchall()


def test_a_corrected_delivery_replaces_its_month_only():
    con = duckdb.connect()
    replace(
        con, MARCH, "m1.csv", delivery(con, (P1, "su", 1.0), (P2, "su", 1.0))
    )
    replace(con, APRIL, "a1.csv", delivery(con, (P1, "su", 1.0)))
    stats = replace(
        con, MARCH, "m2.csv", delivery(con, (P3, "dagpenge", 0.5), quarantined=1)
    )
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (2, 1, 1)
    assert content(con) == [(MARCH, P3, "dagpenge", 0.5), (APRIL, P1, "su", 1.0)]
    assert con.execute(
        "select period, delivery_file, rows_read, rows_loaded, rows_quarantined "
        "from raw.deliveries order by period"
    ).fetchall() == [(MARCH, "m2.csv", 2, 1, 1), (APRIL, "a1.csv", 1, 1, 0)]
    assert con.execute("select count(*), min(delivery_file) from raw.quarantine").fetchall() == [
        (1, "m2.csv")
    ]


def test_reloading_the_same_delivery_is_idempotent():
    con = duckdb.connect()
    same = delivery(con, (P1, "su", 1.0), quarantined=2)
    replace(con, MARCH, "m.csv", same)
    before = (content(con), con.execute("select * from raw.quarantine").fetchall())
    replace(con, MARCH, "m.csv", same)
    assert (content(con), con.execute("select * from raw.quarantine").fetchall()) == before


def test_an_empty_delivery_is_logged_as_delivered():
    con = duckdb.connect()
    replace(con, MARCH, "m.csv", delivery(con))
    assert content(con) == []
    assert con.execute("select period, rows_read from raw.deliveries").fetchall() == [(MARCH, 0)]
