"""The CSV fast path (DuckDB's reader) against the line loop: same cells, same line numbers,
same quarantine and the same errors, for plain files and for every kind of bad one."""

import pytest

from sources import csv_fast
from sources.contracts import Column, Contract
from sources.landing import delivered_periods, delivery_path
from sources.readers import DeliveryError, read_csv
from sources.registry import ALL_CONTRACTS
from sources.synthetic.municipality import generate
from tests.sources.csv_paths import cells_of
from tests.sources.validation import run

CONTRACT = Contract(
    system="test",
    entity="children",
    fmt="csv",
    source="boern.csv",
    description="test",
    key=("person_key",),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("navn", "name", "text", nullable=True),
        Column("timer", "hours", "decimal", maximum=1e6),
    ),
)
H = "cpr;navn;timer"
ROW1, ROW2 = "010190-1234;Åse Ørn;1.234,5", "020290-2345;Bo;7"

# (name, file bytes, whether the fast path may take it)
CASES = [
    ("plain LF", f"{H}\n{ROW1}\n{ROW2}\n".encode(), True),
    ("CRLF", f"{H}\r\n{ROW1}\r\n{ROW2}\r\n".encode(), True),
    ("CRLF and LF mixed (DuckDB refuses)", f"{H}\r\n{ROW1}\n{ROW2}\r\n".encode(), False),
    ("UTF-8 BOM", f"\ufeff{H}\n{ROW1}\n".encode(), True),
    ("cp1252 within latin-1", f"{H}\n{ROW1}\n{ROW2}\n".encode("cp1252"), True),
    ("cp1252 with a euro sign", f"{H}\n010190-1234;5 €;1\n".encode("cp1252"), False),
    ("no line end at the end", f"{H}\n{ROW1}\n{ROW2}".encode(), False),
    ("spaces, empty cells, empty row", f"{H}\n 010190-1234 ; ;2 \n;;\n".encode(), True),
    ("no-break and em spaces", f"{H}\n010190-1234;\u00a0Bo\u2003;1\n".encode(), True),
    ("cp1252 no-break space", f"{H}\n010190-1234;\u00a0Bo;1\n".encode("cp1252"), True),
    ("columns reordered, extra column", b"timer;x;cpr;navn\n3;y;010190-1234;A\n", True),
    ("tab and vertical tab in text", f"{H}\n010190-1234;a\tb\x0bc;1\n".encode(), True),
    ("C1 control (NEL) in UTF-8 text", f"{H}\n{ROW1}\n010190-1234;E\x85va;1\n".encode(), True),
    ("DEL and escape in text", f"{H}\n010190-1234;a\x7f;1\n020290-2345;\x1b;2\n".encode(), True),
    ("header only", f"{H}\n".encode(), False),
    ("quoted field with a ;", f'{H}\n010190-1234;"a;b";1\n'.encode(), False),
    ("quote not closed", f'{H}\n010190-1234;"ab;1\n{ROW2}\n'.encode(), False),
    ("blank line", f"{H}\n{ROW1}\n\n{ROW2}\n".encode(), False),
    ("whitespace-only line", f"{H}\n{ROW1}\n \t\n{ROW2}\n".encode(), False),
    ("too many fields", f"{H}\n{ROW1};x\n{ROW2}\n".encode(), False),
    ("too few fields", f"{H}\n010190-1234;A\n{ROW2}\n".encode(), False),
    # DuckDB reads '1;2;3;;' as three fields; the loop counts five.
    ("empty fields after the last", f"{H}\n{ROW1};;\n{ROW2}\n".encode(), False),
    # A header with a trailing ';' has a fourth, unnamed column: the lines match it.
    ("a separator after every line's last", f"{H};\n{ROW1};\n{ROW2};\n".encode(), True),
    ("one short line, one long: totals match", f"{H}\n010190-1234;A\n{ROW2};\n".encode(), False),
    ("truncated last line", f"{H}\n{ROW1}\n020290-2345;B".encode(), False),
    ("lone CR inside a line", f"{H}\n010190-1234;a\rb;1\n".encode(), False),
    ("CR-only line ends", f"{H}\r{ROW1}\r".encode(), False),
    ("a lone CR ends the file", f"{H}\r\n{ROW1}\r\n{ROW2}\r".encode(), False),
    ("mixed encodings", f"{H}\nå;1;1\n".encode() + "ø;1;1\n".encode("cp1252"), False),
    ("empty file", b"", False),
    ("comma separated", b"cpr,navn,timer\n1,2,3\n", False),
]


def outcome(path):
    """Everything a read hands on: cells, lines, refusals, validation; or the error."""
    try:
        cells = read_csv(path, CONTRACT)
    except DeliveryError as exc:
        return str(exc)
    result = run(cells, CONTRACT)
    return (
        cells_of(cells.frame),
        cells.lines.tolist(),
        cells.rejected.values.tolist(),
        cells.encoding,
        result.records.values.tolist(),
        result.quarantine.values.tolist(),
    )


@pytest.mark.parametrize("data, fast", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_both_paths_give_the_same_outcome(tmp_path, monkeypatch, data, fast):
    path = tmp_path / "boern.csv"
    path.write_bytes(data)
    taken = []
    read = csv_fast.read
    monkeypatch.setattr(csv_fast, "read", lambda *a: taken.append(read(*a)) or taken[-1])
    with_fast_path = outcome(path)
    assert (len(taken) == 1 and taken[0] is not None) == fast
    monkeypatch.setattr(csv_fast, "read", lambda *a: None)
    assert with_fast_path == outcome(path)


def test_fast_path_keeps_cells_exactly(tmp_path):
    path = tmp_path / "boern.csv"
    path.write_bytes(f"\ufeff{H}\r\n 010190-1234 ;Åse;\r\n;;\r\n".encode())
    cells = read_csv(path, CONTRACT)
    assert cells_of(cells.frame) == {
        "cpr": [" 010190-1234 ", ""],
        "navn": ["Åse", ""],
        "timer": ["", ""],
    }
    assert cells.lines.tolist() == [2, 3]
    assert cells.encoding == "utf-8-sig"


def test_a_file_replaced_after_its_bytes_were_checked_loads_what_was_checked(tmp_path, monkeypatch):
    """DuckDB reads the file again after the checks read its bytes: a delivery replaced in
    between (here with a control character the checks proved absent) is not what loads;
    the line loop parses the bytes checked."""
    path = tmp_path / "boern.csv"
    checked = f"{H}\n{ROW1}\n{ROW2}\n".encode()
    path.write_bytes(checked)
    read = csv_fast.read

    def replaced_meanwhile(path, raw, *args):
        path.write_bytes(raw.replace(b"Bo", b"B\x0bo"))
        return read(path, raw, *args)

    monkeypatch.setattr(csv_fast, "read", replaced_meanwhile)
    result = run(read_csv(path, CONTRACT), CONTRACT)
    assert result.records["name"].tolist() == ["Åse Ørn", "Bo"]
    assert result.quarantine.empty


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory):
    landing = tmp_path_factory.mktemp("demo")
    generate(landing, "demo", seed=3)
    return landing


def test_generated_municipality_reads_the_same_both_ways(demo_landing, monkeypatch):
    """tests/sources/conftest.py compares each fast read with the loop; here every CSV
    delivery is read, and each with data rows takes the fast path (header-only files, as
    a month without SSP concerns, are left to the loop)."""
    taken = {}
    read = csv_fast.read

    def counted(path, *rest):
        result = read(path, *rest)
        taken[path] = result is not None
        return result

    monkeypatch.setattr(csv_fast, "read", counted)
    for contract in (c for c in ALL_CONTRACTS if c.fmt == "csv"):
        for period in delivered_periods(demo_landing, contract)[0]:
            read_csv(delivery_path(demo_landing, contract, period), contract)
    slow = [p for p, fast in taken.items() if not fast]
    assert len(taken) > 100 and len(slow) < len(taken) / 2
    assert all(p.read_bytes().count(b"\n") == 1 for p in slow)


@pytest.mark.parametrize(
    "data, free",
    [
        (f"{H}\r\n{ROW1}\r\n{ROW2}".encode(), True),  # line ends are not in any cell
        (f"{H}\n{ROW1}\n".encode("cp1252"), True),
        (f"{H}\n010190-1234;a\tb;1\n".encode(), False),
        (f"{H}\n010190-1234;\x00;1\n".encode(), False),
        (f"{H}\n010190-1234;\x1f;1\n".encode(), False),
        (f"{H}\n010190-1234;\x7f;1\n".encode(), False),
        (f"{H}\n010190-1234;\x85\x9f;1\n".encode(), False),  # C1 in UTF-8
        (f"{H}\n010190-1234;\xa0\u0100;1\n".encode(), True),  # the letters around C1
    ],
)
def test_control_free_finds_every_control_character(data, free):
    assert csv_fast.control_free(data) == free


@pytest.mark.parametrize(
    "text, encoding, trimmed",
    [
        (f"{H}\r\n{ROW1}\r\n{ROW2}", "utf-8", True),  # a space inside a cell is kept
        (f"{H}\n{ROW1}\n", "cp1252", True),  # Å and Ø are not spaces
        (f"{H}\n 010190-1234;Bo;1\n", "utf-8", False),  # at the start of a line
        (f"{H}\n010190-1234; Bo;1\n", "utf-8", False),  # after a separator
        (f"{H}\n010190-1234;Bo ;1\n", "utf-8", False),  # before a separator
        (f"{H}\n010190-1234;Bo;1 \n", "utf-8", False),  # before LF
        (f"{H}\r\n010190-1234;Bo;1 \r\n", "utf-8", False),  # before CRLF
        (f"{H}\n010190-1234;Bo;1 ", "utf-8", False),  # at the end of the file
        (f"{H}\n010190-1234;B\u00a0o;1\n", "utf-8", False),  # no-break space: anywhere
        (f"{H}\n010190-1234;Bo\u2003;1\n", "utf-8", False),  # em space
        (f"{H}\n010190-1234;Bo\u3000;1\n", "utf-8", False),  # ideographic space
        (f"{H}\n010190-1234;Åse Ørn;1\n", "utf-8", True),  # letters beyond ASCII
        (f"{H}\n010190-1234;\u20acBo;1\n", "utf-8", True),  # a first byte 0xE2, no space
        (f"{H}\n010190-1234;B\u00a0o;1\n", "cp1252", False),
    ],
)
def test_trimmed_finds_every_space_trim_would_remove(text, encoding, trimmed):
    assert csv_fast.trimmed(text.encode(encoding), encoding) == trimmed
