"""CPR numbers: validation and keyed pseudonymisation at the extract boundary.

A raw CPR number must never leave this module in any form other than its keyed
HMAC. Errors raised here describe the problem, never the number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import uuid
from pathlib import Path

KEY_ENV = "KVARTER_CPR_KEY"
KEY_FILE_ENV = "KVARTER_CPR_KEY_FILE"

_CPR_PATTERN = re.compile(r"^(\d{6})-?(\d{4})$")


class InvalidCpr(ValueError):
    """A value that is not a valid CPR number. The message never contains the value."""


# The CPR office's century rule: 7th digit -> (last two-digit year of the 2000s, the
# century of later years). Python (`_century`) and the extract's SQL (`century_sql`)
# both read this table.
CENTURY_RULE = {
    **dict.fromkeys((0, 1, 2, 3), (-1, 1900)),
    **dict.fromkeys((4, 9), (36, 1900)),
    **dict.fromkeys((5, 6, 7, 8), (57, 1800)),
}


def _century(year2: int, digit7: int) -> int:
    last_2000s, otherwise = CENTURY_RULE[digit7]
    return 2000 if year2 <= last_2000s else otherwise


def century_sql(digit7: str, year2: str) -> str:
    """SQL of `_century` over integer expressions for the 7th digit and the year."""
    cases = " ".join(
        f"when {digit7} = {digit} and {year2} <= {last_2000s} then 2000 "
        f"when {digit7} = {digit} then {otherwise}"
        for digit, (last_2000s, otherwise) in sorted(CENTURY_RULE.items())
    )
    return f"case {cases} end"


def normalise(value: str) -> str:
    """Return the 10-digit form of a valid CPR number, or raise InvalidCpr.

    Checks the format (DDMMYY-SSSS or 10 digits) and that the date exists in the
    century given by the 7th digit. The modulus-11 check is deliberately not applied:
    numbers issued since 2007 need not pass it.
    """
    match = _CPR_PATTERN.match(value.strip())
    if not match:
        raise InvalidCpr("not 10 digits in the form DDMMYY-SSSS")
    date_part, serial = match.groups()
    day, month, year2 = int(date_part[:2]), int(date_part[2:4]), int(date_part[4:])
    year = _century(year2, int(serial[0])) + year2
    try:
        dt.date(year, month, day)
    except ValueError:
        raise InvalidCpr("the first six digits are not a real date") from None
    return date_part + serial


def birth_date(cpr10: str) -> dt.date:
    """Birth date encoded in a normalised CPR number."""
    day, month, year2 = int(cpr10[:2]), int(cpr10[2:4]), int(cpr10[4:6])
    return dt.date(_century(year2, int(cpr10[6])) + year2, month, day)


def pseudonymise(cpr10: str, key: bytes) -> str:
    """Keyed HMAC-SHA256 of a normalised CPR number: its first 128 bits, written as a UUID.

    A plain hash would be reversible by enumerating the ~3.6 million valid numbers
    of a birth cohort; the key makes that impossible without the key. 128 bits keep
    collisions out of reach (about 1e-25 for ten million people), and as a UUID the
    warehouse stores the key in 16 bytes (DuckDB's and PostgreSQL's `uuid`) instead of
    64 characters of hex: every join, count and spill on the person is 2-3x cheaper.
    """
    digest = hmac.new(key, cpr10.encode("ascii"), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16]))


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """HMAC-SHA256's outer and inner padded keys (RFC 2104): a key longer than SHA-256's
    64-byte block is hashed first, a shorter one filled with zero bytes."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return {"outer": bytes(b ^ 0x5C for b in key), "inner": bytes(b ^ 0x36 for b in key)}


def pseudonym_sql(digits: str) -> str:
    """DuckDB SQL of `pseudonymise` over an expression of normalised numbers, with
    `hmac_pads(key)` as the named parameters $outer and $inner, so the key never is in the
    SQL text: HMAC-SHA256 is SHA-256(outer || SHA-256(inner || number)), which DuckDB
    computes column-wise on every core (4-5x as fast as a Python call per number)."""
    inner = f"unhex(sha256($inner::blob || encode({digits})))"
    return f"cast(substr(sha256($outer::blob || {inner}), 1, 32) as uuid)"


def key_origin(default_key_file: Path) -> str:
    """Where `load_key` takes the key from, for messages."""
    if KEY_ENV in os.environ:
        return f"${KEY_ENV}"
    return f"the key file {os.environ.get(KEY_FILE_ENV, default_key_file)}"


# A key shorter than this is refused: 32 characters are 128 bits as hex, the strength of
# the pseudonyms themselves. An empty key would make the HMAC an unkeyed hash that anyone
# can recompute from a CPR number.
MIN_KEY_CHARS = 32
MIN_KEY_SYMBOLS = 8  # different characters: a random hex key of 32 has all but never fewer


class WeakKey(ValueError):
    """The CPR key is missing or too short. The message never contains the key."""


def load_key(default_key_file: Path) -> bytes:
    """The pseudonymisation key: $KVARTER_CPR_KEY, else a key file.

    The key file ($KVARTER_CPR_KEY_FILE or the given default) is created with a random
    key on first use, so a local demo works without setup; production sets the
    environment variable from its secret store. Changing the key changes every
    person key in the warehouse, which `check_key` refuses.
    """
    origin = key_origin(default_key_file)
    if KEY_ENV in os.environ:  # set, even empty: refused below rather than passed over
        key = os.environ[KEY_ENV]
    else:
        path = Path(os.environ.get(KEY_FILE_ENV, default_key_file))
        if not path.exists():
            _create_key_file(path)
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise WeakKey(f"the CPR key from {origin} cannot be read ({exc})") from None
    # A file of NUL bytes (a restore cut short) is, under HMAC, the empty key; a key of one
    # repeated character is as good as public.
    if len(key) < MIN_KEY_CHARS or not key.isprintable() or len(set(key)) < MIN_KEY_SYMBOLS:
        raise WeakKey(
            f"the CPR key from {origin} has {len(key)} characters, {len(set(key))} of them "
            f"different: a key must be at least {MIN_KEY_CHARS} printable characters, at "
            f"least {MIN_KEY_SYMBOLS} different (a lost or emptied key file is restored from "
            "its backup, never made again: the warehouse's person keys were made with it)"
        )
    return key.encode("utf-8")


def _create_key_file(path: Path) -> None:
    """Write a new random key so that the file appears whole or not at all: written and
    flushed under a temporary name, then linked into place, which fails if another run
    made the file meanwhile (that run's key is then kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink()


class KeyChanged(RuntimeError):
    """The CPR key is not the one the warehouse's person keys were made with."""


# The warehouse keeps a fingerprint of the key (an HMAC of a fixed text, which does not
# give the key away), written on first use.
FINGERPRINT_TABLE = "raw.cpr_key_fingerprint"


def check_key(con, key: bytes, origin: str) -> None:
    """Refuse a key other than the one the warehouse was loaded with (`origin`: where it
    came from): every person would get a new key, and the counts of distinct people
    across months (notifications, SSP concerns) would count them twice. A lost key file
    that `load_key` recreated is caught here, before anything is loaded."""
    fingerprint = hmac.new(key, b"kvarter CPR key fingerprint", hashlib.sha256).hexdigest()
    con.execute(f"create table if not exists {FINGERPRINT_TABLE} (fingerprint varchar)")
    stored = con.execute(f"select fingerprint from {FINGERPRINT_TABLE}").fetchall()
    if not stored:
        con.execute(f"insert into {FINGERPRINT_TABLE} values (?)", [fingerprint])
    elif stored[0][0] != fingerprint:
        raise KeyChanged(
            f"the CPR key from {origin} is not the key the warehouse's person keys were made "
            f"with (fingerprint in {FINGERPRINT_TABLE}): restore that key, or, to start "
            "over with a new one, rebuild the warehouse from the deliveries"
        )
