import datetime as dt

import pytest

from sources.contracts import Column, Contract
from sources.cpr import normalise, pseudonymise
from sources.danish_csv import DeliveryError, read_delivery

KEY = b"test-key"
CONTRACT = Contract(
    system="test",
    entity="things",
    file_name="ting.csv",
    description="test",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("navn", "name", "text"),
        Column("dato", "day", "date"),
        Column("beløb", "amount", "decimal", minimum=0),
        Column("antal", "count", "int", nullable=True),
        Column("type", "kind", "enum", allowed=("a", "b")),
        Column("aktiv", "active", "yes_no"),
    ),
)
HEADER = "cpr;navn;dato;beløb;antal;type;aktiv"


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "ting.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_danish_format_in_every_encoding(tmp_path, encoding):
    text = f"{HEADER}\r\n010190-1234;Søren Ærø Åby;31-12-2024;1.234,50;1.250;a;ja\r\n"
    parsed = read_delivery(write(tmp_path, text, encoding), CONTRACT, KEY)
    assert parsed.encoding == encoding
    assert parsed.quarantine == []
    assert parsed.records == [
        {
            "person_key": pseudonymise(normalise("010190-1234"), KEY),
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
            "310290-1234;x;01-01-2025;1;1;a;ja",  # line 3: invalid CPR
            "010190-1235;x;2025-01-01;1;1;a;ja",  # line 4: ISO date, not dd-mm-yyyy
            "010190-1236;x;01-01-2025;-1;1;a;ja",  # line 5: below minimum
            "010190-1237;x;01-01-2025;1;1;c;ja",  # line 6: not an allowed value
            "010190-1238;x;01-01-2025;1;1;a",  # line 7: too few fields
            "010190-1234;dup;01-01-2025;1;1;a;ja",  # line 8: duplicate key of line 2
            "",  # trailing blank line is layout
        ]
    )
    parsed = read_delivery(write(tmp_path, text), CONTRACT, KEY)
    assert parsed.rows_read == 7
    assert len(parsed.records) == 1 and parsed.records[0]["count"] is None
    got = [(q.line, q.column, q.value, q.reason) for q in parsed.quarantine]
    assert got == [
        (3, "cpr", "<redacted>", "invalid CPR number: the first six digits are not a real date"),
        (4, "dato", "2025-01-01", "not a date in the form dd-mm-yyyy"),
        (5, "beløb", "-1", "below the minimum 0"),
        (6, "type", "c", "not one of the allowed values a, b"),
        (7, "", "", "6 fields, expected 7"),
        (8, "person_key", "", "duplicate key, first seen on line 2"),
    ]
    assert parsed.rows_read == len(parsed.records) + len(parsed.quarantine)


def test_missing_required_column_fails_the_file(tmp_path):
    path = write(tmp_path, "cpr;navn;dato;beløb;antal;type\n")
    with pytest.raises(DeliveryError, match=r"ting\.csv: missing required column\(s\) aktiv"):
        read_delivery(path, CONTRACT, KEY)


def test_wrong_separator_fails_the_file(tmp_path):
    path = write(tmp_path, HEADER.replace(";", ",") + "\n")
    with pytest.raises(DeliveryError, match=r"ting\.csv: line 1 has one column; the separator"):
        read_delivery(path, CONTRACT, KEY)


def test_undecodable_bytes_fail_the_file(tmp_path):
    path = tmp_path / "ting.csv"
    path.write_bytes(HEADER.encode() + b"\n\x81\x8d;x\n")  # invalid in UTF-8 and cp1252
    with pytest.raises(DeliveryError, match=r"ting\.csv: unknown encoding"):
        read_delivery(path, CONTRACT, KEY)


def test_empty_file_fails_the_file(tmp_path):
    with pytest.raises(DeliveryError, match="empty file"):
        read_delivery(write(tmp_path, ""), CONTRACT, KEY)
