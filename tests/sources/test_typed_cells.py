"""Typed cells of workbooks and databases become the validator's text a column at a time
(sources/readers.py), spelled as the per-cell to_text did, and a database is split by
month after one read of each table."""

import datetime as dt
import sqlite3
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sources import readers
from sources.contracts import Column, Contract
from sources.readers import _text_table, read_sql, read_sql_months, read_xlsx
from sources.synthetic import writers
from tests.sources.validation import run

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def spelled(values, kind=None) -> list[str]:
    return _text_table(pa.table({"c": pa.array(values, kind)}), ["c"])["c"].to_pylist()


def test_each_typed_column_is_spelled_as_text():
    assert spelled(["a", None, ""]) == ["a", "", ""]
    assert spelled([3, None, -12]) == ["3", "", "-12"]
    assert spelled([True, False, None]) == ["ja", "nej", ""]
    assert spelled([dt.date(2025, 3, 1), None]) == ["2025-03-01", ""]
    assert spelled([dt.datetime(2025, 3, 31, 23, 59)]) == ["2025-03-31"]
    assert spelled([None, None]) == ["", ""]
    # Decimals are not among the column-wise types: spelled cell by cell, as before.
    assert spelled([Decimal("1.50"), None]) == ["1.50", ""]


def test_numbers_are_whole_without_a_fraction_and_otherwise_as_python_writes_them():
    values = [2.5, 3.0, -0.0, 1e-05, 0.1 + 0.2, 2.0**53, 1e16, float("nan"), None, 123456789.125]
    assert spelled(values) == [
        "2.5",
        "3",
        "0",
        "1e-05",
        "0.30000000000000004",
        "9007199254740992.0",  # 2**53 and above are not taken for whole numbers
        "1e+16",
        "",
        "",
        "123456789.125",
    ]


def test_duckdb_writes_a_double_as_python_does():
    rng = np.random.default_rng(15)
    magnitudes = 10.0 ** rng.uniform(-12, 22, 20_000)
    values = np.concatenate([magnitudes * rng.choice([-1, 1], 20_000), rng.random(20_000) * 23])
    fractions = [v for v in values.tolist() if not v.is_integer()]
    assert spelled(fractions) == [str(v) for v in fractions]


def test_a_workbook_column_of_mixed_cells_is_spelled_cell_by_cell(tmp_path):
    contract = Contract(
        system="test",
        entity="hours",
        fmt="xlsx",
        source="timer.xlsx",
        description="test",
        key=("name",),
        columns=(Column("navn", "name", "text"), Column("timer", "hours", "decimal", maximum=1e6)),
    )
    path = tmp_path / "timer.xlsx"
    frame = pd.DataFrame(
        [("Anna", 1.5), (None, None), ("Bo", "2,5"), ("Carl", 3.0)], columns=contract.headers
    )
    writers.write_xlsx(path, frame, contract)
    cells = read_xlsx(path, contract)
    # Row 3 is empty (not a row read); numbers and text mixed in `timer`.
    assert cells.lines.tolist() == [2, 4, 5]
    assert cells.frame.to_pydict() == {"navn": ["Anna", "Bo", "Carl"], "timer": ["1.5", "2,5", "3"]}
    result = run(cells, contract)
    assert result.records[["name", "hours"]].values.tolist() == [["Anna", 1.5], ["Carl", 3.0]]
    assert result.quarantine.values.tolist() == [[4, "timer", "2,5", "not a number"]]


THINGS = Contract(
    system="test",
    entity="things",
    fmt="sql",
    source="select m.period_start, ting_id, antal, set_dato from months as m join ting "
    "on set_dato >= m.period_start and set_dato < m.period_end order by m.period_start, ting_id",
    description="test",
    key=("thing_id",),
    columns=(
        Column("ting_id", "thing_id", "text"),
        Column("antal", "amount", "decimal", maximum=1e6),
        Column("set_dato", "seen_date", "date", nullable=True),
    ),
)


@pytest.fixture
def things(tmp_path):
    """SQLite keeps each value's own type: a column may mix whole numbers, fractions and
    text, and a timestamp is text that sorts after its date."""
    path = tmp_path / "ting.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("create table ting (ting_id text, antal numeric, set_dato date)")
        con.executemany(
            "insert into ting values (?, ?, ?)",
            [
                ("T1", 5, "2025-03-02"),
                ("T2", 2.5, "2025-03-31 23:59:59"),
                ("T3", "7 stk", "2025-04-01"),
                ("T4", None, "2025-04-01 00:00:00"),
            ],
        )
    con.close()
    return f"sqlite:///{path}"


def months_of(url, contract, periods):
    return {
        f"{period:%Y-%m}": cells.frame.to_pylist()
        for period, cells in read_sql_months(url, contract, periods)
    }


@pytest.mark.parametrize("fetch_rows", [1, 2, 100])
def test_a_database_read_in_chunks_gives_each_month_its_rows_as_text(
    monkeypatch, things, fetch_rows
):
    monkeypatch.setattr(readers, "FETCH_ROWS", fetch_rows)
    assert months_of(things, THINGS, [APRIL, MARCH]) == {
        "2025-03": [
            {"ting_id": "T1", "antal": "5", "set_dato": "2025-03-02"},
            {"ting_id": "T2", "antal": "2.5", "set_dato": "2025-03-31 23:59:59"},
        ],
        "2025-04": [
            {"ting_id": "T3", "antal": "7 stk", "set_dato": "2025-04-01"},
            {"ting_id": "T4", "antal": "", "set_dato": "2025-04-01 00:00:00"},
        ],
    }


def test_each_table_is_read_once_per_extract(monkeypatch, things):
    fetched = []
    fetch = readers._fetch_table
    monkeypatch.setattr(
        readers,
        "_fetch_table",
        lambda con, name, *rest: fetched.append(name) or fetch(con, name, *rest),
    )
    months = [dt.date(2025, m, 1) for m in range(1, 7)]
    assert [len(rows) for rows in months_of(things, THINGS, months).values()] == [0, 0, 2, 2, 0, 0]
    assert fetched == ["ting"]


def test_a_query_the_database_tables_do_not_answer_names_the_database(things):
    broken = Contract(**{**vars(THINGS), "source": THINGS.source.replace("antal", "antal_x")})
    with pytest.raises(readers.DeliveryError, match=r"ting\.sqlite \(things\): query failed"):
        read_sql(things, broken, MARCH)


@pytest.mark.parametrize(
    ("other", "values"),
    [
        # A text column with one BLOB (Arrow would make the whole column binary, and every
        # value was then spelled "b'T1'"), and a number column with one (no Arrow type).
        ("ting_id", [(b"T5", 1, "2025-03-03"), (bytearray(b"T6"), 2, "2025-03-04")]),
        ("antal", [("T5", b"\x01", "2025-03-03"), ("T6", memoryview(b"3"), "2025-03-04")]),
    ],
)
def test_a_binary_value_in_a_column_the_query_reads_refuses_the_delivery(things, other, values):
    path = things.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        con.executemany("insert into ting values (?, ?, ?)", values)
    con.close()
    first, second = ("'T5'", "'T6'") if other == "antal" else ("b'T5'", "b'T6'")
    with pytest.raises(readers.DeliveryError) as raised:
        read_sql(things, THINGS, MARCH)
    assert str(raised.value) == (
        f"{things} (things): ting.{other}: 2 value(s) stored as binary (BLOB), not as text or "
        f"a number (ting_id {first}, {second}); a binary value has no text to check, so the "
        "table is not read"
    )


def test_a_binary_value_in_a_column_the_query_does_not_read_is_left_alone(things):
    path = things.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        con.execute("alter table ting add column foto blob")
        con.execute("update ting set foto = x'89504e47' where ting_id = 'T1'")
    con.close()
    assert [r["ting_id"] for r in read_sql(things, THINGS, MARCH).frame.to_pylist()] == ["T1", "T2"]


def test_a_database_locked_by_a_writer_is_unavailable_not_a_broken_delivery(monkeypatch, things):
    """Transient: the extract is tried again later (a broken delivery fails for good)."""
    monkeypatch.setattr(readers, "SQLITE_BUSY_SECONDS", 0.1)
    writer = sqlite3.connect(things.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("begin exclusive")
    try:
        with pytest.raises(readers.SourceUnavailable) as raised:
            read_sql(things, THINGS, MARCH)
    finally:
        writer.execute("rollback")
        writer.close()
    assert str(raised.value) == f"{things} (things): database unavailable (database is locked)"
    assert len(read_sql(things, THINGS, MARCH).frame) == 2  # once the writer is done


def test_whole_numbers_beyond_a_double_beside_fractions_in_another_chunk_are_exact_text(
    monkeypatch, things
):
    """SQLite keeps 2^53 + 1 as an integer; a fraction in a later chunk made the column a
    double, which cannot hold it (before: a bare ArrowInvalid naming nothing)."""
    monkeypatch.setattr(readers, "FETCH_ROWS", 2)
    with sqlite3.connect(things.removeprefix("sqlite:///")) as con:
        con.execute("update ting set antal = 9007199254740993 where ting_id = 'T1'")
        con.execute("update ting set antal = 3 where ting_id = 'T2'")  # chunk 1: integers
        con.execute("update ting set antal = 2.5 where ting_id = 'T3'")  # chunk 2: a fraction
    con.close()
    amounts = {
        month: [row["antal"] for row in rows]
        for month, rows in months_of(things, THINGS, [MARCH, APRIL]).items()
    }
    assert amounts == {"2025-03": ["9007199254740993", "3"], "2025-04": ["2.5", ""]}
