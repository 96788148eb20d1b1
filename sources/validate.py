"""Validation of delivered rows against their contract, inside DuckDB.

Readers hand over each delivery's data rows as text cells (`Cells`: one column per
contract header, a pandas frame or an Arrow table) plus the line or record number of each
row. `validate_deliveries` types and checks one or more deliveries in one SQL pass and
leaves two temporary tables on the connection: `validated_records` (part, the contract's
column names, source_line) and `validated_quarantine` (part, line, column_name, value,
reason), the first failing check of each bad row: a column's own check, else one of the
contract's intervals ending before it starts. `part` is the delivery's index in the pass.
CPR numbers become keyed pseudonyms here; the quarantine shows them as <redacted>.
"""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sources import cpr as cpr_mod
from sources.contracts import NUMBERS, SQL_TYPES, Column, Contract, Interval

YES = ("ja", "j", "1", "true", "sand")
NO = ("nej", "n", "0", "false", "falsk")
QUARANTINE_COLUMNS = ["line", "column_name", "value", "reason"]
CPR_SHAPE = r"\d{6}-?\d{4}"
# Number text, checked before casting: a cast also takes '0.', '1_000' and 'nan'. In Danish
# text '.' groups thousands by three and the decimal comma has digits after it, so a value
# cut short ('0,5' -> '0,') is refused instead of loading as 0.
DANISH_INT = r"-?(\d{1,3}(\.\d{3})+|\d+)"
DANISH_DECIMAL = DANISH_INT + r"(,\d+)?"
ISO_NUMBER = r"-?\d+(\.\d+)?([eE][-+]?\d+)?"  # as str() writes numbers of Excel, SQL, JSON
# C0 and C1 control characters (NUL, tab, CR, LF, ...): no contract's text holds them, and a
# line break or NUL in a loaded value breaks every export and report that shows it.
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
# A CPR number outside the CPR column, as people write one: a day and month in range, the
# date's parts run together or with dots, and the serial after a hyphen or dash (U+2010 to
# U+2015, U+2212), a slash, a space or nothing. In a free-text column (fields shifted, a
# number typed as an id) it holds the row back, not inside a longer run of letters and
# digits (so 'A0101250001', an id with a prefix, passes) nor after a decimal point (a dot
# after a digit): raw keeps no CPR number outside the CPR column.
CPR_SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212/ "
CPR_NUMBER = (
    rf"(0[1-9]|[12][0-9]|3[01])\.?(0[1-9]|1[0-2])\.?[0-9]{{2}}[{CPR_SEPARATORS}]?[0-9]{{4}}"
)
CPR_IN_TEXT = rf"(^\.?|[^0-9\pL.]|[^0-9]\.){CPR_NUMBER}([^0-9\pL]|$)"


@dataclass(frozen=True)
class Dialect:
    """How a source spells dates and decimals in text."""

    date_format: str
    decimal_comma: bool


DANISH = Dialect("%d-%m-%Y", decimal_comma=True)  # CSV exports: 31-12-2025, 1.234,5
ISO = Dialect("%Y-%m-%d", decimal_comma=False)  # Excel, SQL and JSON values as text


# The in-run map of CPR digits to pseudonyms: a temporary table, gone with the connection.
# No key constraint: only numbers not yet in it are added, and keeping an index up to date
# costs more than it saves (the lookups are hash joins).
PSEUDONYMS_DDL = "create temp table if not exists cpr_pseudonyms (digits varchar, person_key uuid)"


@dataclass
class Cells:
    """One delivery as a reader hands it over: every row as text, with its line number."""

    frame: pd.DataFrame | pa.Table  # one text column per contract header, no nulls
    lines: np.ndarray  # line or record number of each row
    rejected: pd.DataFrame  # lines refused before validation (field count, quotes)
    dialect: Dialect
    origin: str  # file, URL or table, for messages and lineage
    encoding: str | None = None
    control_free: bool = False  # no cell holds a control character (proven for the file)
    trimmed: bool = False  # no cell starts or ends with a space (proven for the file)


@dataclass(frozen=True)
class Validated:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


class Pseudonymiser:
    """Keyed CPR pseudonyms (sources/cpr.py), computed in DuckDB and kept for the run: the
    same person recurs every month and in several sources. One instance serves a whole
    extract run (orchestration/defs/extract.py), so each person's HMAC is computed once
    per run; what it keeps lives in memory only."""

    def __init__(self, key: bytes):
        self._pads = cpr_mod.hmac_pads(key)
        self._known: list[pa.Table] = []  # (digits, person_key) computed in this run
        self.computed = 0

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give the connection's `cpr_pseudonyms` every pseudonym computed so far, so a new
        connection's months look up only people new to the run."""
        con.execute(PSEUDONYMS_DDL)
        if not self._known:
            return
        self._known = [pa.concat_tables(self._known)]
        con.register("known_pseudonyms", self._known[0])
        con.execute(
            "insert into cpr_pseudonyms select digits, person_key from known_pseudonyms "
            "where digits not in (select digits from cpr_pseudonyms)"
        )
        con.unregister("known_pseudonyms")

    def add(self, con: duckdb.DuckDBPyConnection, new_digits: str) -> None:
        """Pseudonymise the numbers the query `new_digits` selects (column `digits`, none of
        them in the connection's `cpr_pseudonyms` yet) into that table, and keep them."""
        new = con.sql(
            f"select digits, {cpr_mod.pseudonym_sql('digits')} as person_key "
            f"from ({new_digits}) as numbers",
            params=self._pads,
        ).to_arrow_table()
        if new.num_rows:
            con.register("new_pseudonyms", new)
            con.execute("insert into cpr_pseudonyms select digits, person_key from new_pseudonyms")
            con.unregister("new_pseudonyms")
            self._known.append(new)
            self.computed += new.num_rows


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values) -> str:
    return "(" + ", ".join(_quote(v) for v in values) + ")"


def _cpr_real_date(digits: str) -> str:
    """SQL: the CPR's date exists in the century its 7th digit and year give (cpr.py)."""
    d7 = f"cast(substr({digits}, 7, 1) as integer)"
    yy = f"cast(substr({digits}, 5, 2) as integer)"
    century = cpr_mod.century_sql(d7, yy)
    iso = (
        f"cast({century} + {yy} as varchar) || '-' || substr({digits}, 3, 2) || '-' "
        f"|| substr({digits}, 1, 2)"
    )
    return f"try_strptime({iso}, '%Y-%m-%d') is not null"


def _check(condition: str, reason: str) -> tuple[str, str]:
    """A column check: (SQL condition of a failure, SQL text of its reason)."""
    return condition, _quote(reason)


def _column_sql(
    column: Column, cell: str, parsed: str, dialect: Dialect, control_free: bool = False
) -> tuple[str, str, str]:
    """(parsed value, typed value, reason) SQL for one column; reason is null when fine.

    `cell` names the trimmed text and `parsed` the parsed value in the query: each cell is
    parsed once (regex, cast, strptime) and the checks compare the parsed value. A file
    proven `control_free` skips the control-character regex on its text cells.
    """
    missing = f"{cell} = ''"
    checks: list[tuple[str, str]] = []
    if not column.nullable:
        checks.append(_check(missing, "missing value in a required column"))
    kind = column.kind
    value = parsed
    if kind == "cpr":
        shaped = f"regexp_full_match({cell}, '{CPR_SHAPE}')"
        parse = "null"  # the caller joins the keyed pseudonym
        checks += [
            (f"{parsed} is not null", "null"),  # has a pseudonym: shape and date are fine
            _check(
                f"not {missing} and not {shaped}",
                "invalid CPR number: not 10 digits in the form DDMMYY-SSSS",
            ),
            # Only numbers with a real date get a pseudonym (_register_pseudonyms), so the
            # date is checked once per number and run, not on every row of every month.
            _check(
                f"not {missing} and {parsed} is null",
                "invalid CPR number: the first six digits are not a real date",
            ),
        ]
    elif kind in ("text", "enum"):
        parse = f"nullif({cell}, '')"
        control = f"unicode(regexp_extract({cell}, '{CONTROL}'))"
        if column.allowed:  # an allowed value passes the rest: no regex on the most cells
            checks.append((f"{cell} in {_in(column.allowed)}", "null"))
        if not control_free:
            # The reason names the character: a tab, a line break and a NUL need other fixes.
            checks.append(
                (
                    f"regexp_matches({cell}, '{CONTROL}')",
                    f"printf('control character U+%04X in the text', {control})",
                )
            )
        if column.allowed:
            checks.append(
                _check(
                    f"not {missing} and {cell} not in {_in(column.allowed)}",
                    f"not one of the allowed values {', '.join(column.allowed)}",
                )
            )
        else:
            checks.append(
                _check(
                    f"regexp_matches({cell}, '{CPR_IN_TEXT}')",
                    "a CPR number in a column that is not the CPR column",
                )
            )
    elif kind == "yes_no":
        parse = (
            f"case when lower({cell}) in {_in(YES)} then true "
            f"when lower({cell}) in {_in(NO)} then false end"
        )
        checks.append(_check(f"not {missing} and {parsed} is null", "not ja/nej"))
    elif kind == "date":
        # Empty cells skip the parse: try_strptime fails slowly on '' (0.3 us a cell,
        # ten times a date's parse), and an optional date column is mostly empty.
        strptime = f"try_strptime({cell}, '{dialect.date_format}')"
        parse = f"case when {cell} != '' then cast({strptime} as date) end"
        spelled = "dd-mm-yyyy" if dialect.decimal_comma else "yyyy-mm-dd"
        # strptime's %Y takes 1-4 digits ('29-03-23' is year 23): a year before 1000 is a
        # year not written with four digits. A comparison is free; a shape regex would
        # double the parse's cost on the most common column kind at city scale.
        checks.append(
            _check(
                f"not {missing} and ({parsed} is null or {parsed} < date '1000-01-01')",
                f"not a date in the form {spelled}",
            )
        )
    else:
        text = f"replace(replace({cell}, '.', ''), ',', '.')" if dialect.decimal_comma else cell
        shape = ISO_NUMBER
        if dialect.decimal_comma:
            shape = DANISH_INT if kind == "int" else DANISH_DECIMAL
        parse = (
            f"case when regexp_full_match({cell}, '{shape}') then try_cast({text} as double) end"
        )
        if kind == "int":
            checks.append(
                _check(
                    f"not {missing} and ({parsed} is null or {parsed} != round({parsed}))",
                    "not a whole number",
                )
            )
            # Exact through a double: the column's maximum is far below 2^53 (contracts.py).
            # try_cast: the typed value is computed for every row, and a number beyond
            # BIGINT (quarantined as above the maximum) would otherwise fail the statement.
            value = f"try_cast({parsed} as bigint)"
        else:
            word = "number with decimal comma" if dialect.decimal_comma else "number"
            checks.append(_check(f"not {missing} and {parsed} is null", f"not a {word}"))
        if column.minimum is not None:
            checks.append(
                _check(f"{parsed} < {column.minimum}", f"below the minimum {column.minimum:g}")
            )
        checks.append(
            _check(f"{parsed} > {column.maximum}", f"above the maximum {column.maximum:g}")
        )
    reason = "case " + " ".join(f"when {c} then {r}" for c, r in checks) + " end"
    return parse, value, (reason if checks else "null")


def _column_failure(i: int, column: Column) -> tuple[str, str, str]:
    """(reason, column name, value) SQL of column i's check in `checked`; null when fine."""
    failed = f"r{i} is not null"
    shown = f"case when {failed} then {_quote(column.header)} end"
    value = f"v{i}"
    if column.kind in NUMBERS:
        # A quarantined number of nine digits or more, or of 100 million or more, may be a
        # CPR number however it is spelled (1.501.901.234, 1.01901E8; the maximum
        # quarantines it: contracts.py). Fewer digits reach 100 million only in exponent
        # form: its size as parsed (p), and that of every exponent form in the text, spaces
        # (also no-break ones) left out ('1 019,01 E5 kr'), read with a decimal point, and
        # with a decimal comma where it has one or thousands dots ('1.019E5'): a Danish CSV
        # has no exponent form, so 1,01901E8 fails its parse but is a CPR number all the
        # same. Finite sizes only: 'inf' is no CPR number (and NaN sorts above any number).
        digits = f"length(regexp_replace(v{i}, '[^0-9]', '', 'g'))"
        spaceless = rf"regexp_replace(v{i}, '[\s\x{{00A0}}\x{{2007}}\x{{202F}}]', '', 'g')"
        forms = rf"regexp_extract_all({spaceless}, '[0-9][0-9.,]*[eE][+-]?[0-9]+')"
        point = "try_cast(replace(f, ',', '.') as double)"
        comma = (
            r"case when contains(f, ',') or regexp_matches(f, '^[0-9]{1,3}(\.[0-9]{3})+[eE]')"
            " then try_cast(replace(replace(f, '.', ''), ',', '.') as double) end"
        )
        written = f"list_max(list_transform({forms}, lambda f: abs(greatest({point}, {comma}))))"
        large = " or ".join(
            [f"{digits} >= 9"]
            + [f"{size} between 1e8 and 1.7e308" for size in (f"abs(p{i})", written)]
        )
        value = f"case when {large} then '<redacted>' else v{i} end"
    return f"r{i}", shown, f"case when {failed} then {value} end"


def _interval_failure(contract: Contract, interval: Interval) -> tuple[str, str, str]:
    """(reason, column names, values) SQL of a row whose interval ends before it starts.

    An open interval (no end) passes: the comparison with null is null.
    """
    names = [c.name for c in contract.columns]
    i, j = names.index(interval.start), names.index(interval.end)
    start, end = contract.columns[i], contract.columns[j]
    inverted = f'"{end.name}" < "{start.name}"'
    reason = (
        f"{_quote(f'interval ends before it starts: {end.header} ')} || v{j} || "
        f"{_quote(f' is before {start.header} ')} || v{i}"
    )
    return (
        f"case when {inverted} then {reason} end",
        f"case when {inverted} then {_quote(f'{start.header},{end.header}')} end",
        f"case when {inverted} then v{i} || ',' || v{j} end",
    )


def _cpr_digits(cell: str) -> str:
    """SQL of the 10 digits a CPR cell is looked up by: the cell itself, or with the dash
    after the sixth digit left out. Only a cell of the shape DDMMYY-SSSS or DDMMYYSSSS can
    then equal a known number's digits ('0101-901234' cannot: its dash is elsewhere), so a
    malformed cell never borrows the pseudonym of a number seen earlier in the run."""
    return (
        f"case when length({cell}) = 11 and substr({cell}, 7, 1) = '-' "
        f"then substr({cell}, 1, 6) || substr({cell}, 8) else {cell} end"
    )


def _register_pseudonyms(
    con: duckdb.DuckDBPyConnection, cell: str, pseudonymise: Pseudonymiser
) -> None:
    """Add the keyed pseudonym of every new CPR number (`cell`: its text in
    `incoming_cells as cells`) of the right shape and a real date to `cpr_pseudonyms`; a
    row whose number is not there fails the date check.

    The temporary table lives as long as the connection (never in the warehouse file);
    `Pseudonymiser.attach` fills a new connection's with what the run already computed.
    """
    con.execute(PSEUDONYMS_DDL)
    # Shape and date are checked on the cells new to the run only (materialized first).
    pseudonymise.add(
        con,
        f"with new as materialized (select {cell} as cell from incoming_cells as cells "
        f"where {_cpr_digits(cell)} not in (select digits from cpr_pseudonyms)) "
        f"select distinct digits from (select {_cpr_digits('cell')} as digits from new "
        f"where regexp_full_match(cell, '{CPR_SHAPE}')) as shaped where "
        f"{_cpr_real_date('digits')}",
    )


def _split_duplicates(con: duckdb.DuckDBPyConnection, contract: Contract, names: str) -> None:
    """`validated_records` and `validated_quarantine` from `validated_all`.

    Of the valid rows of one delivery (`part`) sharing a key the first line loads and the
    others are quarantined. Set-based: one group-by finds the (few) repeated keys, and only
    rows with those keys are joined back, instead of ranking every row over its key.
    """
    key = ", ".join(f'"{k}"' for k in contract.key)
    same_key = " and ".join(f'a."{k}" is not distinct from d."{k}"' for k in contract.key)
    con.execute(f"""
        create or replace temp table duplicate_keys as
        select part, {key}, min(source_line) as first_line from validated_all
        where reason is null group by part, {key} having count(*) > 1
    """)
    con.execute(f"""
        create or replace temp table duplicate_lines as
        select a.part, a.source_line, d.first_line
        from validated_all as a join duplicate_keys as d on a.part = d.part and {same_key}
        where a.reason is null and a.source_line != d.first_line
    """)
    # A view, not a copy: only the count and the load into the raw table read it.
    con.execute(f"""
        create or replace temp view validated_records as
        select part, {names}, source_line from validated_all as a
        where reason is null and not exists (
            select 1 from duplicate_lines as d
            where d.part = a.part and d.source_line = a.source_line
        )
    """)
    con.execute(f"""
        create or replace temp table validated_quarantine as
        select * from (
            select part, source_line as line, column_name, value, reason
            from validated_all where reason is not null
            union all
            select part, source_line, {_quote(",".join(contract.key))}, '',
                'duplicate key, first seen on line ' || first_line
            from duplicate_lines
            union all
            select cast(part as integer), cast(line as bigint), cast(column_name as varchar),
                cast(value as varchar), cast(reason as varchar)
            from rejected_rows
        ) order by part, line
    """)


def _text_columns(frame: pd.DataFrame | pa.Table, headers: list[str]) -> pa.Table:
    """A reader's cells as Arrow text columns without nulls, so deliveries concatenate."""
    if isinstance(frame, pa.Table):  # the CSV fast path, workbooks, databases
        table = frame.select(headers)
        wanted = pa.schema([(h, pa.string()) for h in headers])
        return table if table.schema == wanted else table.cast(wanted)
    return pa.table({h: pa.array(frame[h].fillna(""), pa.string()) for h in headers})


def _rejected_rows(deliveries: Sequence[Cells]) -> pd.DataFrame:
    parts = [d.rejected.assign(part=i) for i, d in enumerate(deliveries) if len(d.rejected)]
    if not parts:
        return pd.DataFrame(columns=[*QUARANTINE_COLUMNS, "part"])
    return pd.concat(parts, ignore_index=True)


def validate_deliveries(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    deliveries: Sequence[Cells],
    pseudonymise: Pseudonymiser,
) -> list[Validated]:
    """Type and check every row of one or more deliveries of the contract (several months
    of a small source, say) in one SQL pass: a pass has a fixed cost of some 30 ms that a
    month of a few hundred rows would otherwise pay alone. Rows keep their delivery's
    index as `part`, and keys are unique within a delivery. One `Validated` per delivery,
    in order."""
    dialects = {d.dialect for d in deliveries}
    if len(dialects) != 1:
        raise ValueError(f"{contract.table}: one pass takes deliveries of one dialect")
    [dialect] = dialects
    frames = [_text_columns(d.frame, contract.headers) for d in deliveries]
    sizes = [f.num_rows for f in frames]
    for delivery, size in zip(deliveries, sizes, strict=True):
        if len(delivery.lines) != size:  # a reader's fault: line numbers would shift
            raise ValueError(f"{delivery.origin}: {len(delivery.lines)} line numbers, {size} rows")
    parts = np.repeat(np.arange(len(deliveries), dtype=np.int32), sizes)
    lines = np.concatenate([d.lines for d in deliveries]).astype(np.int64)
    cells = (
        pa.concat_tables(frames)
        .append_column("_part", pa.array(parts))
        .append_column("_line", pa.array(lines))
    )
    rejected = _rejected_rows(deliveries)
    control_free = all(d.control_free for d in deliveries)
    trimmed = all(d.trimmed for d in deliveries)  # else trim: a new string per cell
    con.register("incoming_cells", cells)
    con.register("rejected_rows", rejected.astype(object))

    trims, joins, parses, selects = [], [], [], []
    try:
        for i, column in enumerate(contract.columns):
            cell = f'cells."{column.header}"' if trimmed else f'trim(cells."{column.header}")'
            trims.append(f"{cell} as c{i}")
            parse, value, reason = _column_sql(column, f"c{i}", f"p{i}", dialect, control_free)
            if column.kind == "cpr":
                _register_pseudonyms(con, cell, pseudonymise)
                joins.append(
                    f"left join cpr_pseudonyms as k{i} on k{i}.digits = {_cpr_digits(cell)}"
                )
                trims.append(f"k{i}.person_key as p{i}")
            else:
                parses.append(f"{parse} as p{i}")
            shown = "'<redacted>'" if column.kind == "cpr" else f"c{i}"
            selects.append(
                f'cast({value} as {SQL_TYPES[column.kind]}) as "{column.name}", '
                f'{reason} as "r{i}", {shown} as "v{i}"'
                + (f", p{i}" if column.kind in NUMBERS else "")  # for _column_failure
            )
        # The first failing check of a row names it: column checks, then intervals.
        failures = [_column_failure(i, column) for i, column in enumerate(contract.columns)]
        failures += [_interval_failure(contract, interval) for interval in contract.intervals]
        reasons, failed_columns, failed_values = zip(*failures)
        names = ", ".join(f'"{c.name}"' for c in contract.columns)
        con.execute(f"""
            create or replace temp table validated_all as
            with trimmed as (
                select cells._part as part, cells._line as source_line, {", ".join(trims)}
                from incoming_cells as cells {" ".join(joins)}
            ),
            parsed as (select *, {", ".join(parses)} from trimmed),
            checked as (select part, source_line, {", ".join(selects)} from parsed)
            select part, source_line, {names},
                coalesce({", ".join(reasons)}) as reason,
                coalesce({", ".join(failed_columns)}) as column_name,
                coalesce({", ".join(failed_values)}) as value
            from checked
        """)
        _split_duplicates(con, contract, names)
    finally:
        # After a failed statement the transaction refuses anything but a rollback (which
        # drops these views): the statement's own error must be the one raised.
        for name in ("incoming_cells", "rejected_rows"):
            with contextlib.suppress(duckdb.TransactionException):
                con.unregister(name)
    loaded = _counts_by_part(con, "validated_records")
    quarantined = _counts_by_part(con, "validated_quarantine")
    refused = rejected["part"].value_counts()
    return [
        Validated(sizes[i] + int(refused.get(i, 0)), loaded.get(i, 0), quarantined.get(i, 0))
        for i in range(len(deliveries))
    ]


def _counts_by_part(con: duckdb.DuckDBPyConnection, table: str) -> dict[int, int]:
    return dict(con.execute(f"select part, count(*) from {table} group by part").fetchall())
