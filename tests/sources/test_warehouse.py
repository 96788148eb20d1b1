import datetime as dt

import duckdb
import pandas as pd

from sources.employment import BENEFITS
from sources.validate import QUARANTINE_COLUMNS, Validated
from sources.warehouse import replace_partition

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def delivery(*rows, quarantined=0):
    records = pd.DataFrame(
        [
            {
                "person_key": k,
                "benefit_type": t,
                "start_date": MARCH,
                "end_date": None,
                "weekly_extent": f,
                "source_line": i + 2,
            }
            for i, (k, t, f) in enumerate(rows)
        ],
        columns=[c.name for c in BENEFITS.columns] + ["source_line"],
    )
    quarantine = pd.DataFrame(
        [(99, "cpr", "<redacted>", "bad")] * quarantined, columns=QUARANTINE_COLUMNS
    )
    return Validated(records, quarantine, len(records) + quarantined)


def content(con):
    return con.execute(
        "select period, person_key, benefit_type, weekly_extent from raw.employment__benefits "
        "order by all"
    ).fetchall()


def test_a_corrected_delivery_replaces_its_month_only():
    con = duckdb.connect()
    replace_partition(
        con, BENEFITS, MARCH, "m1.csv", delivery(("p1", "su", 1.0), ("p2", "su", 1.0))
    )
    replace_partition(con, BENEFITS, APRIL, "a1.csv", delivery(("p1", "su", 1.0)))
    stats = replace_partition(
        con, BENEFITS, MARCH, "m2.csv", delivery(("p3", "dagpenge", 0.5), quarantined=1)
    )
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (2, 1, 1)
    assert content(con) == [(MARCH, "p3", "dagpenge", 0.5), (APRIL, "p1", "su", 1.0)]
    assert con.execute(
        "select period, delivery_file, rows_read, rows_loaded, rows_quarantined "
        "from raw.deliveries order by period"
    ).fetchall() == [(MARCH, "m2.csv", 2, 1, 1), (APRIL, "a1.csv", 1, 1, 0)]
    assert con.execute("select count(*), min(delivery_file) from raw.quarantine").fetchall() == [
        (1, "m2.csv")
    ]


def test_reloading_the_same_delivery_is_idempotent():
    con = duckdb.connect()
    same = delivery(("p1", "su", 1.0), quarantined=2)
    replace_partition(con, BENEFITS, MARCH, "m.csv", same)
    before = (content(con), con.execute("select * from raw.quarantine").fetchall())
    replace_partition(con, BENEFITS, MARCH, "m.csv", same)
    assert (content(con), con.execute("select * from raw.quarantine").fetchall()) == before


def test_an_empty_delivery_is_logged_as_delivered():
    con = duckdb.connect()
    replace_partition(con, BENEFITS, MARCH, "m.csv", delivery())
    assert content(con) == []
    assert con.execute("select period, rows_read from raw.deliveries").fetchall() == [(MARCH, 0)]
