"""An extract over many periods: validates and commits in batches of whole periods, one
pseudonym map."""

import datetime as dt
import uuid

import duckdb
import pytest

from sources import cpr as cpr_mod
from sources import extract, national
from sources.contracts import Column, Contract
from sources.extract import SourceLocations, extract_periods
from sources.readers import DeliveryError
from sources.validate import Pseudonymiser
from tests.sources.test_bad_files import CONTRACT, HEADER

JAN, FEB, MAR = (dt.date(2025, m, 1) for m in (1, 2, 3))
TWO_ROWS = HEADER + b"010190-1001;Anna;1\n010190-1002;Bo;2\n"


def landing(tmp_path, damaged_march: bool) -> SourceLocations:
    for month in (JAN, FEB, MAR):
        folder = tmp_path / "test" / f"{month:%Y-%m}"
        folder.mkdir(parents=True)
        body = TWO_ROWS
        if month == MAR and damaged_march:
            body = (
                HEADER + "010190-1001;Søren;1\n".encode() + "010190-1002;Åse;2\n".encode("cp1252")
            )
        (folder / "boern.csv").write_bytes(body)
    return SourceLocations(tmp_path, housing_db_url="", health_api_url="")


def loaded_months(con) -> list[dt.date]:
    """Months in the delivery log; none when the extract failed before its first batch
    (the raw tables are made with the first one)."""
    tables = con.execute("select table_name from information_schema.tables").fetchall()
    if ("deliveries",) not in tables:
        return []
    return [p for (p,) in con.execute("select period from raw.deliveries order by 1").fetchall()]


@pytest.mark.parametrize(
    ("batch_rows", "kept"),
    [
        (3, [JAN, FEB]),  # Jan (2 rows) + Feb (2) reach 3: committed before March fails
        (5, []),  # 4 rows pending when March fails: nothing of the batch was loaded
    ],
)
def test_a_failing_period_rolls_back_only_its_batch(tmp_path, monkeypatch, batch_rows, kept):
    monkeypatch.setattr(extract, "BATCH_ROWS", batch_rows)
    where = landing(tmp_path, damaged_march=True)
    con = duckdb.connect()
    with pytest.raises(DeliveryError, match="mixed encodings"):
        list(extract_periods(con, CONTRACT, [JAN, FEB, MAR], where, Pseudonymiser(b"k")))
    assert loaded_months(con) == kept


def test_each_person_is_hashed_once_across_connections(tmp_path):
    """Two connections (two assets of one run) share the run's Pseudonymiser: the two
    people are hashed once each, not once per connection or month."""
    where = landing(tmp_path, damaged_march=False)
    pseudonymise = Pseudonymiser(b"k")
    keys = []
    for _ in range(2):
        con = duckdb.connect()
        list(extract_periods(con, CONTRACT, [JAN, FEB, MAR], where, pseudonymise))
        keys.append(con.execute("select distinct person_key from raw.test__children").fetchall())
    assert pseudonymise.computed == 2
    assert (
        sorted(keys[0])
        == sorted(keys[1])
        == sorted((uuid.UUID(cpr_mod.pseudonymise(d, b"k")),) for d in ("0101901001", "0101901002"))
    )
    assert loaded_months(con) == [JAN, FEB, MAR]


def test_months_validated_together_keep_their_own_keys_lines_and_counts(tmp_path):
    """A small source's months go through one validation pass and one transaction, yet
    each keeps its own duplicate check, line numbers, quarantine rows and log entry."""
    bodies = {
        JAN: TWO_ROWS,
        # The same person as in January (loads), then again in this month (line 3: a
        # duplicate), then a number with a letter (line 4).
        FEB: HEADER + b"010190-1001;Anna;1\n010190-1001;Anna;3\n010190-1003;Cy;x\n",
        # A line the reader refuses (two fields): a quarantine row from before validation.
        MAR: HEADER + b"010190-1001;Anna;1\n010190-1004;Di\n",
    }
    for month, body in bodies.items():
        folder = tmp_path / "test" / f"{month:%Y-%m}"
        folder.mkdir(parents=True)
        (folder / "boern.csv").write_bytes(body)
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    con = duckdb.connect()
    batches = list(extract_periods(con, CONTRACT, [MAR, JAN, FEB], where, Pseudonymiser(b"k")))
    counts = [(p, s.rows_read, s.rows_loaded, s.rows_quarantined) for p, s in batches[0]]
    assert len(batches) == 1
    assert counts == [(JAN, 2, 2, 0), (FEB, 3, 1, 2), (MAR, 2, 1, 1)]
    assert con.execute(
        "select period, name, hours, source_line from raw.test__children order by all"
    ).fetchall() == [
        (JAN, "Anna", 1.0, 2),
        (JAN, "Bo", 2.0, 3),
        (FEB, "Anna", 1.0, 2),
        (MAR, "Anna", 1.0, 2),
    ]
    assert con.execute(
        "select period, delivery_file, line, column_name, reason from raw.quarantine "
        "order by period, line"
    ).fetchall() == [
        (FEB, "test/2025-02/boern.csv", 3, "person_key", "duplicate key, first seen on line 2"),
        (FEB, "test/2025-02/boern.csv", 4, "timer", "not a number with decimal comma"),
        (MAR, "test/2025-03/boern.csv", 3, "", "2 fields, expected 3"),
    ]
    assert con.execute(
        "select period, delivery_file, rows_read, rows_loaded, rows_quarantined "
        "from raw.deliveries order by period"
    ).fetchall() == [
        (JAN, "test/2025-01/boern.csv", 2, 2, 0),
        (FEB, "test/2025-02/boern.csv", 3, 1, 2),
        (MAR, "test/2025-03/boern.csv", 2, 1, 1),
    ]


def test_a_batch_failing_while_it_loads_leaves_the_loaded_months_as_they_were(
    tmp_path, monkeypatch
):
    where = landing(tmp_path, damaged_march=False)
    con = duckdb.connect()
    list(extract_periods(con, CONTRACT, [JAN, FEB, MAR], where, Pseudonymiser(b"k")))
    before = con.execute("select * from raw.test__children order by all").fetchall()
    (tmp_path / "test" / "2025-02" / "boern.csv").write_bytes(HEADER + b"010190-1009;Di;4\n")
    real = extract.replace_partitions

    def fails_after_writing(*args):
        real(*args)  # February's new row is written, then the load fails
        raise OSError("disk full")

    monkeypatch.setattr(extract, "replace_partitions", fails_after_writing)
    with pytest.raises(OSError, match="disk full"):
        list(extract_periods(con, CONTRACT, [FEB, MAR], where, Pseudonymiser(b"k")))
    assert con.execute("select * from raw.test__children order by all").fetchall() == before
    assert len(before) == 6
    assert con.execute(
        "select period, rows_read from raw.deliveries order by period"
    ).fetchall() == [(JAN, 2), (FEB, 2), (MAR, 2)]


class CommitFails:
    """A DuckDB connection whose commit fails as on a full disk: DuckDB ends the failed
    transaction, so the rollback after it fails too ("no transaction is active")."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql == "commit":
            self.con.execute("rollback")
            raise duckdb.IOException('Could not write file "warehouse.duckdb.wal": No space left')
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_failed_commit_is_reported_not_the_rollback_after_it(tmp_path):
    where = landing(tmp_path, damaged_march=False)
    con = duckdb.connect()
    with pytest.raises(duckdb.IOException, match="No space left") as raised:
        list(extract_periods(CommitFails(con), CONTRACT, [JAN], where, Pseudonymiser(b"k")))
    [note] = raised.value.__notes__
    assert note.startswith("rollback after it: TransactionContext Error: cannot rollback")
    assert loaded_months(con) == []


def test_a_cpr_number_in_another_column_reaches_the_quarantine_redacted(tmp_path):
    """A value quarantined for another reason (a control character in the name) shows a
    CPR number in it redacted, also beside other text, never a longer number; in the
    hours column a value of nine digits or more is redacted whole (a CPR number however
    spelled), a shorter one shown."""
    folder = tmp_path / "test" / "2025-01"
    folder.mkdir(parents=True)
    (folder / "boern.csv").write_bytes(
        HEADER + b"010190-1001;Anna\x01 010190-1002;1\n010190-1003;Bo\x01 nr. 123456789012;2\n"
        b"010190-1005;Carl;ca. 0101901004 t\n010190-1007;Dan;12 t\n"
    )
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    con = duckdb.connect()
    list(extract_periods(con, CONTRACT, [JAN], where, Pseudonymiser(b"k")))
    assert con.execute("select line, value from raw.quarantine order by line").fetchall() == [
        (2, "Anna\x01 <redacted>"),
        (3, "Bo\x01 nr. 123456789012"),
        (4, "<redacted>"),
        (5, "12 t"),
    ]


def test_a_cpr_number_in_a_free_text_column_holds_its_row_back(tmp_path):
    """A number in the name column, alone or beside other text, as people write one (with
    a space, an en dash, a slash or dots), keeps its row out of raw (quarantined, shown
    redacted). An id with a letter before its digits, digits after a decimal point, a day
    or month out of range, or 11 digits are no CPR number, and load."""
    folder = tmp_path / "test" / "2025-01"
    folder.mkdir(parents=True)
    held = ["010190-1002", "Anna 0101901004", "Bo 010190 1006", "Ib 020290\u20131008",
            "020290/1010", "Li (03.03.90-1012)", "cpr.nr.040490-1014"]  # fmt: skip
    loaded = ["A0101901016", "574123.1203951234", "3201901018", "0113901020", "12345678901"]
    rows = [f"010190-10{i:02d};{name};1\n" for i, name in enumerate(held + loaded, start=11)]
    (folder / "boern.csv").write_bytes(HEADER + "".join(rows).encode())
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    con = duckdb.connect()
    list(extract_periods(con, CONTRACT, [JAN], where, Pseudonymiser(b"k")))
    reason = "a CPR number in a column that is not the CPR column"
    assert con.execute("select line, value, reason from raw.quarantine order by 1").fetchall() == [
        (2, "<redacted>", reason),
        (3, "Anna <redacted>", reason),
        (4, "Bo <redacted>", reason),
        (5, "Ib <redacted>", reason),
        (6, "<redacted>", reason),
        (7, "Li (<redacted>)", reason),
        (8, "cpr.nr.<redacted>", reason),
    ]
    [(table,)] = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = 'raw' and table_name like '%children'"
    ).fetchall()
    names = con.execute(f"select name from raw.{table} order by source_line").fetchall()
    assert [name for (name,) in names] == loaded


def test_a_cpr_number_in_a_count_is_above_its_maximum_and_redacted(tmp_path):
    """National statistics' counts and incomes: a CPR number typed in, with or without its
    dash or the leading zero a spreadsheet drops, or with thousands dots, is never loaded
    as a number, nor shown in the quarantine."""
    folder = tmp_path / "national" / "2025"
    folder.mkdir(parents=True)
    header = ";".join(national.AREA_STATISTICS.headers)
    counts = {"BO01": "1.200", "BO02": "1501901234", "BO03": "101901234", "BO04": "010190-1234"}
    rows = [
        f"{area};{count};100;900;10;0,01;500;50;250.000,5;300.000\n"
        for area, count in counts.items()
    ]
    incomes = {"BO05": "1.501.901.234", "BO06": "101.901.234,5"}  # as Danish numbers
    rows += [f"{area};1.200;100;900;10;0,01;500;50;{i};300.000\n" for area, i in incomes.items()]
    (folder / "boligomraader.csv").write_bytes((header + "\n" + "".join(rows)).encode())
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    con = duckdb.connect()
    [[(_, stats)]] = extract_periods(
        con, national.AREA_STATISTICS, [JAN], where, Pseudonymiser(b"k")
    )
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (6, 1, 5)
    assert con.execute(
        "select area_id, residents_1_january, mean_gross_income from raw.national__area_statistics"
    ).fetchall() == [("BO01", 1200, 250000.5)]
    assert con.execute("select line, value, reason from raw.quarantine order by 1").fetchall() == [
        (3, "<redacted>", "above the maximum 1e+06"),
        (4, "<redacted>", "above the maximum 1e+06"),
        (5, "<redacted>", "not a whole number"),
        (6, "<redacted>", "above the maximum 1e+07"),
        (7, "<redacted>", "above the maximum 1e+07"),
    ]


@pytest.mark.parametrize("maximum", [None, 101_000_000])
def test_a_numeric_column_needs_a_maximum_below_any_cpr_number(maximum):
    with pytest.raises(ValueError, match="numeric column count needs a maximum below 101,000,000"):
        Contract(
            system="test",
            entity="counts",
            fmt="csv",
            source="antal.csv",
            description="test",
            key=("area",),
            columns=(
                Column("omraade", "area", "text"),
                Column("antal", "count", "int", maximum=maximum),
            ),
        )


class QuarantineInsertFails(CommitFails):
    """A write that fails inside the transaction (as on a full disk), which DuckDB then
    refuses everything in but a rollback."""

    def execute(self, sql, *args):
        if "insert into raw.quarantine" in sql:
            return self.con.execute("select error('No space left on device')")
        return self.con.execute(sql, *args)


def test_a_failed_write_is_reported_not_the_cleanup_after_it(tmp_path):
    where = landing(tmp_path, damaged_march=False)
    con = duckdb.connect()
    with pytest.raises(duckdb.Error, match="No space left on device"):
        list(
            extract_periods(QuarantineInsertFails(con), CONTRACT, [JAN], where, Pseudonymiser(b"k"))
        )
    assert loaded_months(con) == []
