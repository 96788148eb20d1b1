"""Damaged deliveries: each fault fails the file (naming file, line and problem) or
quarantines its rows with a reason, and rows read always equal the physical data lines."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from sources import population, validate
from sources.contracts import Column, Contract
from sources.extract import SourceLocations, extract_period
from sources.readers import Cells, DeliveryError, read_csv, read_xlsx
from sources.synthetic import writers
from sources.validate import DANISH, ISO, QUARANTINE_COLUMNS, Pseudonymiser
from tests.sources.validation import run

MARCH = dt.date(2025, 3, 1)
CONTRACT = Contract(
    system="test",
    entity="children",
    fmt="csv",
    source="boern.csv",
    description="test",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("navn", "name", "text"),
        Column("timer", "hours", "decimal", maximum=1e6),
    ),
)
HEADER = b"cpr;navn;timer\n"


def write(tmp_path, data: bytes):
    path = tmp_path / "boern.csv"
    path.write_bytes(data)
    return path


def load(tmp_path, data: bytes):
    return run(read_csv(write(tmp_path, data), CONTRACT), CONTRACT)


def fails(tmp_path, data: bytes, message: str):
    """The file fails with exactly this message after its path."""
    path = write(tmp_path, data)
    with pytest.raises(DeliveryError) as error:
        read_csv(path, CONTRACT)
    assert str(error.value) == f"{path}: {message}"


# 1. An unclosed quote costs its own line, never the rest of the file.


def test_an_unclosed_quote_quarantines_its_line_and_the_rest_loads(tmp_path):
    result = load(
        tmp_path,
        HEADER
        + b"010190-1001;Anna;1,5\n"  # line 2: loads
        + b'010190-1002;"Bo;2\n'  # line 3: quote not closed
        + b'010190-1003;"Carl; Jr.";3\n'  # line 4: loads, ';' inside quotes
        + b'010190-1004;"Dora ""D""";4\n'  # line 5: loads, doubled quote
        + b'010190-1005;"Eva"x;5\n'  # line 6: text after the closing quote
        + b"010190-1006;Finn;6\n",  # line 7: loads
    )
    assert result.rows_read == 6
    assert result.records[["name", "source_line"]].values.tolist() == [
        ["Anna", 2],
        ["Carl; Jr.", 4],
        ['Dora "D"', 5],
        ["Finn", 7],
    ]
    assert result.quarantine.values.tolist() == [
        [3, "navn", "", "quote not closed on this line"],
        [6, "navn", "", "text after the closing quote"],
    ]


def test_a_line_break_inside_quotes_is_two_bad_lines(tmp_path):
    # No contract has text spanning lines: line 2 opens a quote, line 3 closes it. The
    # second half is refused by its quote also when its field count fits (line 5).
    result = load(
        tmp_path,
        HEADER + b'010190-1001;"Anna\nBerg";1\n010190-1002;Bo;2\n' + b'"0101\n90-1003";Carl;3\n',
    )
    assert (result.rows_read, len(result.records)) == (5, 1)
    assert result.quarantine.values.tolist() == [
        [2, "navn", "", "quote not closed on this line"],
        [3, "cpr", "", "quote inside an unquoted field"],
        [5, "cpr", "", "quote not closed on this line"],
        [6, "cpr", "", "quote inside an unquoted field"],
    ]


def test_an_unclosed_quote_in_a_large_file_costs_one_line(tmp_path):
    # 6,000 lines of 21 bytes: more than the csv module's 131,072-character field limit.
    lines = [
        b"%s;Navn;1\n" % f"0101{n % 100:02d}-{1000 + n // 100:04d}".encode() for n in range(6000)
    ]
    lines[0] = b'010100-1000;"Navn;1\n'
    result = load(tmp_path, HEADER + b"".join(lines))
    assert (result.rows_read, len(result.records)) == (6000, 5999)
    assert result.quarantine.values.tolist() == [[2, "navn", "", "quote not closed on this line"]]


def test_an_unclosed_quote_in_the_header_fails_the_file(tmp_path):
    fails(tmp_path, b'cpr;"navn;timer\n', "line 1: quote not closed on this line")


# 2. A last field cut short.


@pytest.mark.parametrize(
    "last_line", [b"010190-1002;Bo;0,7", b"010190-1002;Bo;0,", b"010190-1002;Bo;"]
)
def test_a_last_line_without_a_line_end_is_quarantined(tmp_path, last_line):
    """Cut inside its last field ('0,75' to '0,7', '0,' or nothing), the row could load a
    wrong value: without a line end, the last line may be cut short. Its value is not
    shown (a line's text may hold a CPR number)."""
    result = load(tmp_path, HEADER + b"010190-1001;Anna;0,5\n" + last_line)
    assert result.rows_read == 2
    assert result.records[["hours", "source_line"]].values.tolist() == [[0.5, 2]]
    assert result.quarantine.values.tolist() == [
        [3, "", "", "no line end after the last line: it may be cut short"]
    ]
    ended = load(tmp_path, HEADER + b"010190-1001;Anna;0,5\n" + last_line + b"\r\n")
    assert ended.records["source_line"].tolist() == [2] + [3] * (last_line.endswith(b"7"))


@pytest.mark.parametrize(
    ("last_line", "problem"),
    [
        (b"010190-1002;Bo", "2 fields, expected 3"),
        (b'010190-1002;"Bo', "quote not closed on this line"),
    ],
)
def test_a_last_line_cut_mid_row_fails_the_file(tmp_path, last_line, problem):
    fails(
        tmp_path,
        HEADER + b"010190-1001;Anna;0,5\n" + last_line,
        f"truncated: line 3 ends mid-row without a line end ({problem})",
    )


@pytest.mark.parametrize(
    ("hours", "loaded"),
    [
        ("1.234,5", 1234.5),
        ("-0,25", -0.25),
        ("12", 12.0),
        (",5", None),  # digits before the comma
        ("1.2,5", None),  # thousands group of one digit
        ("1,5,0", None),
        ("nan", None),
        ("1e3", None),
    ],
)
def test_danish_decimals_have_one_shape(tmp_path, hours, loaded):
    result = load(tmp_path, HEADER + f"010190-1001;Anna;{hours}\n".encode())
    if loaded is None:
        assert result.quarantine.values.tolist() == [
            [2, "timer", hours, "not a number with decimal comma"]
        ]
    else:
        assert result.records["hours"].tolist() == [loaded]


# 3. CR-only line ends and UTF-16 / UTF-32 files.


def test_cr_only_line_ends_fail_the_file(tmp_path):
    fails(
        tmp_path,
        b"cpr;navn;timer\r010190-1001;Anna;1\r",
        "line 1 holds a CR: CR-only line ends? Expected LF or CRLF",
    )


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("utf-16", "UTF-16 text (byte order mark); expected UTF-8 or cp1252"),
        ("utf-16-be", "line 1: NUL byte; a damaged file or not text"),  # no BOM
        ("utf-32", "UTF-32 text (byte order mark); expected UTF-8 or cp1252"),
    ],
)
def test_utf16_and_utf32_fail_the_file(tmp_path, encoding, message):
    fails(tmp_path, "cpr;navn;timer\n010190-1001;Åse;1\n".encode(encoding), message)


def test_crlf_line_ends_are_stripped_and_a_bare_cr_is_a_control_character(tmp_path):
    result = load(tmp_path, b"cpr;navn;timer\r\n010190-1001;Anna;1\r\n010190-1002;B\ro;2\r\n")
    assert result.records[["name", "source_line"]].values.tolist() == [["Anna", 2]]
    assert result.quarantine.values.tolist() == [
        [3, "navn", "B\ro", "control character U+000D in the text"]
    ]


# 4. Encodings: UTF-8, or cp1252 when nothing in the file is UTF-8 beyond ASCII.


def test_a_utf8_file_with_a_cp1252_line_fails_naming_the_lines(tmp_path):
    fails(
        tmp_path,
        HEADER
        + "010190-1001;Søren;1\n".encode()  # line 2: UTF-8
        + "010190-1002;Åse;2\n".encode("cp1252")  # line 3: cp1252
        + b"010190-1003;Bo;3\n"  # line 4: ASCII, both
        + "010190-1004;Ærø;4\n".encode(),  # line 5: UTF-8
        "mixed encodings: UTF-8 on line(s) 2, 5, not UTF-8 on line(s) 3",
    )


def test_a_utf8_bom_with_cp1252_lines_fails_naming_the_lines(tmp_path):
    lines = "".join(f"010190-10{n:02d};Åse;1\n" for n in range(7)).encode("cp1252")
    fails(
        tmp_path,
        b"\xef\xbb\xbf" + HEADER + lines,
        "mixed encodings: a UTF-8 byte order mark, not UTF-8 on line(s) 2, 3, 4, 5, 6 and 2 more",
    )


def test_a_file_whose_only_non_ascii_line_is_cp1252_reads_as_cp1252(tmp_path):
    # ASCII is the same in both encodings: nothing is misread.
    path = write(tmp_path, HEADER + b"010190-1001;Bo;1\n" + "010190-1002;Åse;2\n".encode("cp1252"))
    cells = read_csv(path, CONTRACT)
    assert cells.encoding == "cp1252"
    assert run(cells, CONTRACT).records["name"].tolist() == ["Bo", "Åse"]


def test_bytes_of_no_encoding_name_the_line(tmp_path):
    fails(
        tmp_path,
        HEADER + b"010190-1001;Bo;1\n010190-1002;\x81;2\n",
        "unknown encoding: line 3 is neither UTF-8 nor cp1252 (byte 0x81)",
    )


# 5. Control characters inside text fields.


def test_control_characters_in_text_are_quarantined_naming_the_column(tmp_path):
    result = load(
        tmp_path,
        HEADER
        + b"010190-1001;An\tna;1\n"  # line 2: tab
        + b'010190-1002;"Bo\rX";2\n'  # line 3: CR inside quotes
        + b"010190-1003;Carl\x0b;3\n"  # line 4: vertical tab
        + "010190-1004;E\x85va;4\n".encode()  # line 5: C1 control NEL
        + b"010190-1005;Dora\x7f;5\n"  # line 6: DEL
        + b"010190-1006;Finn;6\n",  # line 7: loads
    )
    assert result.rows_read == 6
    assert result.records["source_line"].tolist() == [7]
    assert result.quarantine.values.tolist() == [
        [2, "navn", "An\tna", "control character U+0009 in the text"],
        [3, "navn", "Bo\rX", "control character U+000D in the text"],
        [4, "navn", "Carl\x0b", "control character U+000B in the text"],
        [5, "navn", "E\x85va", "control character U+0085 in the text"],
        [6, "navn", "Dora\x7f", "control character U+007F in the text"],
    ]


def test_a_nul_byte_fails_the_file_naming_the_line(tmp_path):
    fails(
        tmp_path,
        HEADER + b"010190-1001;Bo;1\n010190-1002;Carl\x00\x00\x00\x00",
        "line 3: NUL byte; a damaged file or not text",
    )


def test_a_dos_end_of_file_byte_fails_the_file_saying_so(tmp_path):
    # Before, it failed as a last line cut short ("1 fields, expected 3").
    fails(
        tmp_path,
        HEADER + b"010190-1001;Bo;1\r\n\x1a",
        "ends with a DOS end-of-file byte (Ctrl-Z, 0x1A); deliver the file without it",
    )


def test_control_characters_from_excel_are_quarantined(tmp_path):
    contract = Contract(**{**vars(CONTRACT), "fmt": "xlsx", "source": "boern.xlsx"})
    path = tmp_path / "boern.xlsx"
    frame = pd.DataFrame(
        [("010190-1001", "Anna\nBerg", 1.5), ("010190-1002", "Bo", None), ("010190-1003", "C", 3)],
        columns=contract.headers,
    )
    writers.write_xlsx(path, frame, contract)
    result = run(read_xlsx(path, contract), contract)
    assert result.rows_read == 3
    assert result.records[["name", "hours", "source_line"]].values.tolist() == [["C", 3.0, 4]]
    assert result.quarantine.values.tolist() == [
        [2, "navn", "Anna\nBerg", "control character U+000A in the text"],
        [3, "timer", "", "missing value in a required column"],
    ]


def test_nul_and_non_numbers_from_a_database_or_api_are_quarantined():
    frame = pd.DataFrame(
        [
            ("010190-1001", "Anna\x00", "1"),
            ("010190-1002", "Bo", "nan"),
            ("010190-1003", "Carl", "0."),
            ("010190-1004", "Dora", "2.5e-1"),
        ],
        columns=CONTRACT.headers,
    )
    rejected = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    cells = Cells(frame, np.arange(1, 5, dtype=np.int64), rejected, ISO, "hand-made")
    result = run(cells, CONTRACT)
    assert result.records[["hours", "source_line"]].values.tolist() == [[0.25, 4]]
    assert result.quarantine.values.tolist() == [
        [1, "navn", "Anna\x00", "control character U+0000 in the text"],
        [2, "timer", "nan", "not a number"],
        [3, "timer", "0.", "not a number"],
    ]


# 6. Dates: a year of fewer than four digits is not a date of the form.

DATED = Contract(
    system="test",
    entity="children",
    fmt="csv",
    source="boern.csv",
    description="test",
    key=("person_key",),
    columns=(Column("cpr", "person_key", "cpr"), Column("dato", "day", "date")),
)


def test_a_short_year_is_not_a_date_in_a_danish_csv(tmp_path):
    path = write(
        tmp_path,
        b"cpr;dato\n"
        + b"010190-1001;29-03-2023\n"  # line 2: loads
        + b"010190-1002;1-3-2023\n"  # line 3: loads, one-digit day and month
        + b"010190-1003;29-03-23\n"  # line 4: two-digit year
        + b"010190-1004;29-03-023\n"  # line 5: three-digit year
        + b"010190-1005;31-02-2023\n",  # line 6: no such day
    )
    result = run(read_csv(path, DATED), DATED)
    assert result.records[["day", "source_line"]].values.tolist() == [
        [dt.date(2023, 3, 29), 2],
        [dt.date(2023, 3, 1), 3],
    ]
    assert result.quarantine.values.tolist() == [
        [4, "dato", "29-03-23", "not a date in the form dd-mm-yyyy"],
        [5, "dato", "29-03-023", "not a date in the form dd-mm-yyyy"],
        [6, "dato", "31-02-2023", "not a date in the form dd-mm-yyyy"],
    ]


def test_a_short_year_is_not_an_iso_date():
    frame = pd.DataFrame(
        [("010190-1001", "2025-03-01"), ("010190-1002", "25-03-01"), ("010190-1003", "825-03-01")],
        columns=DATED.headers,
    )
    rejected = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    result = run(Cells(frame, np.arange(1, 4, dtype=np.int64), rejected, ISO, "hand-made"), DATED)
    assert result.records[["day", "source_line"]].values.tolist() == [[dt.date(2025, 3, 1), 1]]
    assert result.quarantine.values.tolist() == [
        [2, "dato", "25-03-01", "not a date in the form yyyy-mm-dd"],
        [3, "dato", "825-03-01", "not a date in the form yyyy-mm-dd"],
    ]


# 7. Whole numbers too large for 64 bits are above the column's maximum, not a failed delivery.


def test_a_number_too_large_for_64_bits_is_above_the_maximum(tmp_path):
    folder = tmp_path / "population" / "2025-03"
    folder.mkdir(parents=True)
    (folder / "adresser.csv").write_bytes(
        b"adresse_id;adresse;boligafdeling;boligomraade_id;boliger;x;y\n"
        + b"A1;Vej 1;;;12;575000;6220000\n"
        + b"A2;Vej 2;;;99999999999999999999;575000;6220000\n"
    )
    con = duckdb.connect()
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    stats = extract_period(con, population.ADDRESSES, MARCH, where, Pseudonymiser(b"k"))
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (2, 1, 1)
    assert con.execute(
        "select address_id, dwellings from raw.population__addresses"
    ).fetchall() == [("A1", 12)]
    assert con.execute("select line, value, reason from raw.quarantine").fetchall() == [
        (3, "<redacted>", "above the maximum 500")  # nine digits or more: a CPR number?
    ]


@pytest.mark.parametrize(
    ("dialect", "exponents"),
    [
        (ISO, ["1.01901E8", "1e+20", "1.01901E8 kr"]),
        # Not a number in a Danish CSV, but a CPR number all the same, read either way,
        # also amid other characters.
        (DANISH, ["1.01901E8", "1,01901E8", "1.019,01e5", "1e+20", "1,01901 E8", "'1,01901E8",
                  "1,01901E8 kr", "1,01901E+08", "0,101901E9", "1 019,01E5", "1\u00a0019,01E5",
                  "1,01901\u00a0E8", "1.01901E+ 8", "1e1 og 1,01E8", "1.019E5"]),
    ],
)
def test_a_number_of_100_million_or_more_is_redacted_however_spelled(dialect, exponents):
    """A number in exponent form may be a CPR number with fewer than nine digits written
    (0101901000); a value of nine digits or more is redacted whatever its size."""
    contract = Contract(
        system="test",
        entity="counts",
        fmt="xlsx",
        source="antal.xlsx",
        description="test",
        key=("area",),
        columns=(Column("omraade", "area", "text"), Column("antal", "count", "int", maximum=500)),
    )
    values = ["12", *exponents, "600", "1,5E3", "1.23456E+03"]  # the last two: 1500, 1234.56
    frame = pd.DataFrame({"omraade": [f"A{n}" for n in range(len(values))], "antal": values})
    rejected = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    lines = np.arange(1, len(values) + 1, dtype=np.int64)
    result = run(Cells(frame, lines, rejected, dialect, "hand-made"), contract)
    assert result.records[["count", "source_line"]].values.tolist() == [[12, 1]]
    shown = [row[2] for row in result.quarantine.values.tolist()]
    assert shown == ["<redacted>"] * len(exponents) + ["600", "1,5E3", "1.23456E+03"]


def test_a_failing_validation_statement_raises_its_own_error(monkeypatch):
    """The cleanup after a failed statement in a transaction (which refuses anything but a
    rollback) does not replace the statement's error."""

    def failing(con, *args):
        con.execute("select cast('x' as integer)")

    monkeypatch.setattr(validate, "_split_duplicates", failing)
    con = duckdb.connect()
    con.execute("begin transaction")
    frame = pd.DataFrame([("010190-1001", "Anna", "1")], columns=CONTRACT.headers)
    cells = Cells(frame, np.array([1]), pd.DataFrame(columns=QUARANTINE_COLUMNS), ISO, "hand")
    with pytest.raises(duckdb.ConversionException, match="'x'"):
        validate.validate_deliveries(con, CONTRACT, [cells], Pseudonymiser(b"k"))


# A file-level fault loads nothing of the delivery: the month keeps what it had.


def test_a_damaged_restatement_leaves_the_loaded_month_untouched(tmp_path):
    folder = tmp_path / "test" / "2025-03"
    folder.mkdir(parents=True)
    where = SourceLocations(tmp_path, housing_db_url="", health_api_url="")
    con = duckdb.connect()
    (folder / "boern.csv").write_bytes(HEADER + b"010190-1001;Anna;1\n010190-1002;Bo;2\n")
    extract_period(con, CONTRACT, MARCH, where, Pseudonymiser(b"k"))
    (folder / "boern.csv").write_bytes(
        HEADER + "010190-1001;Søren;1\n".encode() + "010190-1002;Åse;2\n".encode("cp1252")
    )
    with pytest.raises(DeliveryError, match=r"test/2025-03/boern\.csv: mixed encodings"):
        extract_period(con, CONTRACT, MARCH, where, Pseudonymiser(b"k"))
    assert con.execute("select name from raw.test__children order by name").fetchall() == [
        ("Anna",),
        ("Bo",),
    ]
    assert con.execute("select rows_read, rows_loaded from raw.deliveries").fetchall() == [(2, 2)]
