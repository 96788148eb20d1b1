import datetime as dt
import hashlib
import hmac

import duckdb
import pytest

from sources import cpr


@pytest.mark.parametrize(
    ("value", "birth"),
    [
        ("010190-1234", dt.date(1990, 1, 1)),  # 7th digit 0-3: 1900s
        ("0101901234", dt.date(1990, 1, 1)),  # without hyphen
        ("150610-4321", dt.date(2010, 6, 15)),  # 4 and year <= 36: 2000s
        ("150650-4321", dt.date(1950, 6, 15)),  # 4 and year > 36: 1900s
        ("010105-5000", dt.date(2005, 1, 1)),  # 5-8 and year <= 57: 2000s
        ("010160-5000", dt.date(1860, 1, 1)),  # 5-8 and year > 57: 1800s
        ("290200-4000", dt.date(2000, 2, 29)),  # leap day in 2000
        ("010170-9999", dt.date(1970, 1, 1)),  # 9 and year > 36: 1900s
    ],
)
def test_valid_numbers_and_their_century(value, birth):
    assert cpr.birth_date(cpr.normalise(value)) == birth


def test_modulus_11_is_not_applied():
    # 010190-1235 fails the old modulus-11 check but is a valid post-2007 number.
    weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]
    digits = [int(c) for c in "0101901235"]
    assert sum(w * d for w, d in zip(weights, digits)) % 11 != 0
    assert cpr.normalise("010190-1235") == "0101901235"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("310290-1234", "not a real date"),  # 31 February
        ("290200-1000", "not a real date"),  # 1900 was no leap year (digit 1 -> 1900)
        ("0101901", "10 digits"),
        ("01019O-1234", "10 digits"),  # letter O
        ("01-01-90-1234", "10 digits"),
    ],
)
def test_invalid_numbers_are_rejected_without_echoing_them(value, reason):
    with pytest.raises(cpr.InvalidCpr) as err:
        cpr.normalise(value)
    assert reason in str(err.value)
    assert value not in str(err.value) and value.replace("-", "") not in str(err.value)


def test_pseudonym_is_keyed_and_stable():
    a = cpr.pseudonymise("0101901234", b"key-one")
    assert a == cpr.pseudonymise("0101901234", b"key-one")
    assert a != cpr.pseudonymise("0101901234", b"key-two")
    assert a != cpr.pseudonymise("0101901235", b"key-one")
    assert "0101901234" not in a
    # The HMAC's first 128 bits as a UUID, worked out with the standard library.
    digest = hmac.new(b"key-one", b"0101901234", hashlib.sha256).hexdigest()
    assert a == f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


@pytest.mark.parametrize("key", [b"", b"short", b"k" * 64, b"k" * 65, bytes(range(200))])
def test_the_extracts_sql_pseudonym_is_the_hmac(key):
    # DuckDB's two SHA-256 over the padded keys give Python's HMAC, for keys shorter than,
    # as long as and longer than SHA-256's block.
    numbers = ["0101901234", "3112991234", "0101054321"]
    con = duckdb.connect()
    sql = cpr.pseudonym_sql("digits")
    rows = con.execute(
        f"select digits, cast({sql} as varchar) from (select unnest($numbers) as digits)",
        {**cpr.hmac_pads(key), "numbers": numbers},
    ).fetchall()
    assert dict(rows) == {n: cpr.pseudonymise(n, key) for n in numbers}


def test_key_from_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(cpr.KEY_ENV, "from-env" * 4)
    assert cpr.load_key(tmp_path / "unused") == b"from-env" * 4
    assert not (tmp_path / "unused").exists()


def test_key_file_is_created_once_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv(cpr.KEY_ENV, raising=False)
    monkeypatch.delenv(cpr.KEY_FILE_ENV, raising=False)
    path = tmp_path / "secrets" / "cpr_key"
    first = cpr.load_key(path)
    assert len(first) == 64 and cpr.load_key(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["cpr_key"]


@pytest.mark.parametrize(
    ("content", "length", "different"),
    [
        ("", 0, 0),
        ("  \n", 0, 0),
        ("0123456789abcdef0123456789abcde", 31, 16),
        ("\0" * 64, 64, 1),  # a restore cut short: under HMAC, the empty key
        ("a" * 64, 64, 1),
        ("0123456" * 10, 70, 7),
    ],
)
def test_an_empty_short_or_degenerate_key_file_is_refused(
    monkeypatch, tmp_path, content, length, different
):
    """An emptied key file (a crash while writing it, a bad restore) would make every person
    key an unkeyed hash: refused, naming the file, never the key; the file is not replaced
    (the warehouse's person keys were made with the lost key)."""
    monkeypatch.delenv(cpr.KEY_ENV, raising=False)
    monkeypatch.delenv(cpr.KEY_FILE_ENV, raising=False)
    path = tmp_path / "cpr_key"
    path.write_text(content)
    with pytest.raises(cpr.WeakKey) as raised:
        cpr.load_key(path)
    assert str(raised.value).startswith(
        f"the CPR key from the key file {path} has {length} characters, {different} of them "
        "different: a key must be at least 32 printable characters, at least 8 different"
    )
    assert not content.strip() or content.strip() not in str(raised.value)
    assert path.read_text() == content


def test_a_key_file_that_is_not_text_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv(cpr.KEY_ENV, raising=False)
    monkeypatch.delenv(cpr.KEY_FILE_ENV, raising=False)
    path = tmp_path / "cpr_key"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(cpr.WeakKey, match=rf"^the CPR key from the key file {path} cannot be read"):
        cpr.load_key(path)


@pytest.mark.parametrize(("key", "length"), [("secret", 6), ("", 0), (" " * 40, 40)])
def test_a_short_or_blank_key_in_the_environment_is_refused(monkeypatch, tmp_path, key, length):
    """Set but empty is refused too, not passed over for a key file."""
    monkeypatch.setenv(cpr.KEY_ENV, key)
    with pytest.raises(
        cpr.WeakKey, match=rf"^the CPR key from \$KVARTER_CPR_KEY has {length} char"
    ):
        cpr.load_key(tmp_path / "unused")
    assert not (tmp_path / "unused").exists()


def test_a_key_file_made_meanwhile_by_another_run_is_kept(tmp_path):
    """Two first runs at once: each writes a key under a temporary name and links it into
    place; the second finds the first's file there and keeps it (replacing it would change
    the key under the first run's feet), and leaves no temporary file behind."""
    path = tmp_path / "cpr_key"
    path.write_text("a" * 64)
    cpr._create_key_file(path)
    assert path.read_text() == "a" * 64
    assert [p.name for p in tmp_path.iterdir()] == ["cpr_key"]


def test_the_warehouse_refuses_a_key_other_than_its_first(monkeypatch, tmp_path):
    """The first key's fingerprint is kept (not the key); the same key passes, another
    fails naming where it came from."""
    con = duckdb.connect()
    con.execute("create schema raw")
    cpr.check_key(con, b"first", "$KVARTER_CPR_KEY")
    [(fingerprint,)] = con.execute(f"select * from {cpr.FINGERPRINT_TABLE}").fetchall()
    assert len(fingerprint) == 64 and "first" not in fingerprint
    cpr.check_key(con, b"first", "$KVARTER_CPR_KEY")
    with pytest.raises(cpr.KeyChanged, match=r"^the CPR key from the key file /k is not the"):
        cpr.check_key(con, b"second", "the key file /k")
    assert con.execute(f"select count(*) from {cpr.FINGERPRINT_TABLE}").fetchone() == (1,)


@pytest.mark.parametrize(
    ("digit7", "year2", "century"),
    [(3, 99, 1900), (4, 36, 2000), (4, 37, 1900), (9, 0, 2000), (5, 57, 2000), (8, 58, 1800)],
)
def test_the_extracts_sql_applies_the_same_century_rule(digit7, year2, century):
    assert cpr._century(year2, digit7) == century
    sql = cpr.century_sql(str(digit7), str(year2))
    assert duckdb.connect().execute(f"select {sql}").fetchall() == [(century,)]
