"""Danish CSV quirks and contract validation, with hand-checked expectations."""

import datetime as dt
import uuid

import duckdb
import pytest

from sources.contracts import Column, Contract
from sources.cpr import normalise, pseudonymise
from sources.readers import DeliveryError, read_csv
from sources.validate import Pseudonymiser, validate_deliveries
from tests.sources.validation import frame, run

KEY = b"test-key"
CONTRACT = Contract(
    system="test",
    entity="things",
    fmt="csv",
    source="ting.csv",
    description="test",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("navn", "name", "text"),
        Column("dato", "day", "date"),
        Column("beløb", "amount", "decimal", minimum=0, maximum=1e6),
        Column("antal", "count", "int", nullable=True, maximum=1e6),
        Column("type", "kind", "enum", allowed=("a", "b")),
        Column("aktiv", "active", "yes_no"),
    ),
)
HEADER = "cpr;navn;dato;beløb;antal;type;aktiv"


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "ting.csv"
    path.write_bytes(text.encode(encoding))
    return path


def load(path):
    cells = read_csv(path, CONTRACT)
    return cells, run(cells, CONTRACT, KEY)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_danish_format_in_every_encoding(tmp_path, encoding):
    text = f"{HEADER}\r\n010190-1234;Søren Ærø Åby;31-12-2024;1.234,50;1.250;a;ja\r\n"
    cells, result = load(write(tmp_path, text, encoding))
    assert cells.encoding == encoding
    assert len(result.quarantine) == 0
    assert result.records.to_dict("records") == [
        {
            "person_key": uuid.UUID(pseudonymise(normalise("010190-1234"), KEY)),
            "name": "Søren Ærø Åby",
            "day": dt.date(2024, 12, 31),
            "amount": 1234.5,
            "count": 1250,
            "kind": "a",
            "active": True,
            "source_line": 2,
        }
    ]


def test_bad_rows_are_quarantined_with_line_column_and_reason(tmp_path):
    text = "\n".join(
        [
            HEADER,
            "010190-1234;ok;01-01-2025;1,5;;b;nej",  # line 2: loaded (empty nullable int)
            "310290-1234;x;01-01-2025;1;1;a;ja",  # line 3: invalid CPR (31 February)
            "010190-1235;x;2025-01-01;1;1;a;ja",  # line 4: ISO date, not dd-mm-yyyy
            "010190-1236;x;01-01-2025;-1;1;a;ja",  # line 5: below minimum
            "010190-1237;x;01-01-2025;1;1;c;ja",  # line 6: not an allowed value
            "010190-1238;x;01-01-2025;1;1;a",  # line 7: too few fields
            "010190-1234;dup;01-01-2025;1;1;a;ja",  # line 8: duplicate key of line 2
            "01019-1239;x;01-01-2025;1;1,5;a;ja",  # line 9: CPR of 9 digits
            "010190-1240;x;01-01-2025;1;1,5;a;ja",  # line 10: not a whole number
            "010190-1241;;01-01-2025;1;1;a;måske",  # line 11: missing required text
            "",  # trailing blank line is layout
        ]
    )
    _, result = load(write(tmp_path, text))
    assert result.rows_read == 10
    assert len(result.records) == 1 and result.records.loc[0, "count"] is None
    assert result.quarantine.values.tolist() == [
        [3, "cpr", "<redacted>", "invalid CPR number: the first six digits are not a real date"],
        [4, "dato", "2025-01-01", "not a date in the form dd-mm-yyyy"],
        [5, "beløb", "-1", "below the minimum 0"],
        [6, "type", "c", "not one of the allowed values a, b"],
        [7, "", "", "6 fields, expected 7"],
        [8, "person_key", "", "duplicate key, first seen on line 2"],
        [9, "cpr", "<redacted>", "invalid CPR number: not 10 digits in the form DDMMYY-SSSS"],
        [10, "antal", "1,5", "not a whole number"],
        [11, "navn", "", "missing value in a required column"],
    ]
    assert result.rows_read == len(result.records) + len(result.quarantine)


def test_a_cpr_without_a_real_date_is_refused_again_next_month(tmp_path):
    # Only numbers with a real date get a pseudonym, once per run: a bad one comes back
    # every month and is quarantined every month; a good one is checked once and loads.
    con = duckdb.connect()
    pseudonymise = Pseudonymiser(KEY)
    text = f"{HEADER}\n310290-1234;x;01-01-2025;1;1;a;ja\n010190-1234;x;01-01-2025;1;1;a;ja\n"
    cells = read_csv(write(tmp_path, text), CONTRACT)
    for _ in range(2):
        [stats] = validate_deliveries(con, CONTRACT, [cells], pseudonymise)
        assert (stats.rows_loaded, stats.rows_quarantined) == (1, 1)
        assert frame(con, "select line, reason from validated_quarantine").values.tolist() == [
            [2, "invalid CPR number: the first six digits are not a real date"]
        ]
    assert con.execute("select digits from cpr_pseudonyms").fetchall() == [("0101901234",)]


def test_a_malformed_cpr_never_borrows_the_pseudonym_of_the_same_digits(tmp_path):
    # The pseudonym is looked up by the number's digits; a cell with the dash elsewhere or
    # several dashes has the same digits as a number seen earlier, but not its shape.
    con = duckdb.connect()
    pseudonymise = Pseudonymiser(KEY)
    odd = "0101-901234;x;01-01-2025;1;1;a;ja\n0-1-0-1-9-0-1-2-3-4;x;01-01-2025;1;1;a;ja\n"
    shape = "invalid CPR number: not 10 digits in the form DDMMYY-SSSS"
    for text, loaded in [
        (f"{HEADER}\n010190-1234;x;01-01-2025;1;1;a;ja\n{odd}", 1),
        (HEADER + "\n" + odd, 0),
    ]:
        [stats] = validate_deliveries(
            con, CONTRACT, [read_csv(write(tmp_path, text), CONTRACT)], pseudonymise
        )
        assert (stats.rows_loaded, stats.rows_quarantined) == (loaded, 2)
        lines = [loaded + 2, loaded + 3]
        assert frame(con, "select line, reason from validated_quarantine").values.tolist() == [
            [lines[0], shape],
            [lines[1], shape],
        ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpr;navn;dato;beløb;antal;type\n", r"missing required column\(s\) aktiv"),
        (HEADER.replace(";", ",") + "\n", r"line 1 has one column; the separator must be ';'"),
        ("", "empty file, no header line"),
        (HEADER + ";navn\n", r"column\(s\) navn more than once"),
        (f"{HEADER}\r\n010190-1234;ok;01-01-2025;1;1;a;ja\r\n010190-12", "truncated: line 3 ends"),
    ],
)
def test_unreadable_files_fail_naming_file_and_problem(tmp_path, text, message):
    with pytest.raises(DeliveryError, match=rf"ting\.csv: {message}"):
        read_csv(write(tmp_path, text), CONTRACT)


def test_a_last_line_without_line_end_is_held_back_even_when_it_looks_whole(tmp_path):
    # 'ja' may be what is left of 'ja' or of a longer value: the file may be cut short.
    _, result = load(write(tmp_path, f"{HEADER}\n010190-1234;ok;01-01-2025;1;1;a;ja"))
    assert len(result.records) == 0
    assert result.quarantine["reason"].tolist() == [
        "no line end after the last line: it may be cut short"
    ]


def test_undecodable_bytes_fail_the_file(tmp_path):
    path = tmp_path / "ting.csv"
    path.write_bytes(HEADER.encode() + b"\n\x81\x8d;x\n")  # invalid in UTF-8 and cp1252
    with pytest.raises(DeliveryError, match=r"ting\.csv: unknown encoding"):
        read_csv(path, CONTRACT)
