"""What the live published copy shows, remembered in the warehouse for the fact's
suppression (README, "Disclosure control", memory).

Whoever keeps the earlier copies holds them all. The fact publishes again every cell the
live copy publishes while its value is unchanged, so each new copy holds every earlier
one and the audit of the new copy covers them all, and it hides again every cell the
live copy hid, so no pair of copies shows a hidden cell's value before and after a
restatement. The live copy is the memory: it is
copied into `publication.published_cells` before every marts build, so a rebuilt
warehouse still remembers what was published from the old one. A cell that leaves the
warehouse (its area or months gone) is carried in each later copy's `remembered_cells`,
shown with its value or hidden, until it comes back: then it is frozen or hidden again,
as if it had never gone. Its value does not leave with it, though (to `outside`, the total,
a merged area): a copy that shows where a hidden cell moved is refused
(`moved_hidden_given_away`).
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from sources import duckdb_limits

TABLE = "publication.published_cells"
# In a published copy: the cells earlier copies published or hid that it does not hold.
REMEMBERED = "remembered_cells"
CELL = "area_id, period, indicator_id, numerator, denominator, suppressed"
# As dbt_project.yml's on-run-start creates it for dbt runs without a published copy.
COLUMNS = (
    "area_id varchar, period date, indicator_id varchar, "
    "numerator double precision, denominator double precision, suppressed boolean"
)
# Values within this are the same (the fact's `frozen` test: numerators carry six decimals).
SAME = 0.0000005


class LiveCopyUnreadable(RuntimeError):
    """The live published copy exists but cannot be read for the memory."""


def remember_published(warehouse: Path, published: Path) -> tuple[int, int]:
    """Replace the remembered cells with those of `published`, shown and hidden (none if
    it does not exist yet); returns how many cells it shows, and how many the memory
    showed before. A copy that cannot be read leaves the memory as it was."""
    with duckdb.connect(str(warehouse)) as con:
        duckdb_limits.apply(con, str(warehouse))
        con.execute("create schema if not exists publication")
        con.execute(f"create table if not exists {TABLE} ({COLUMNS})")
        # A warehouse from before the hidden cells were remembered.
        con.execute(f"alter table {TABLE} add column if not exists suppressed boolean")
        shown = f"select count(*) from {TABLE} where not coalesce(suppressed, false)"
        before = con.execute(shown).fetchone()[0]
        con.execute("begin")
        con.execute(f"delete from {TABLE}")
        if published.exists():
            try:
                con.execute(f"attach '{published}' as live (read_only)")
                con.execute(f"insert into {TABLE} {_earlier_cells(con)}")
            except duckdb.Error as error:
                con.execute("rollback")
                raise LiveCopyUnreadable(
                    f"the live published copy {published} cannot be read for the disclosure "
                    f"memory ({error}). Restore it, or move it aside to publish afresh (what it "
                    "published is then forgotten: README, Disclosure control, Limits)"
                ) from error
        con.execute("commit")
        return con.execute(shown).fetchone()[0], before


@contextlib.contextmanager
def _beside_live(staged: Path, live: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The staged copy, read-only, with the live copy attached as `live`."""
    with duckdb.connect(str(staged), read_only=True) as con:
        con.execute(f"attach '{live}' as live (read_only)")
        yield con


def _earlier_cells(con: duckdb.DuckDBPyConnection, flagged: bool = False) -> str:
    """SQL of every cell the attached live copy holds or remembers (a copy from before
    `remembered_cells` holds no such table); `flagged` adds whether it is remembered."""
    held, carried = CELL, CELL
    if flagged:
        held, carried = f"{CELL}, false as remembered", f"{CELL}, true as remembered"
    cells = f"select {held} from live.fct_area_indicator_month"
    remembers = con.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = 'live' and table_name = ?",
        [REMEMBERED],
    ).fetchone()[0]
    return cells + (f" union all select {carried} from live.{REMEMBERED}" if remembers else "")


def carry_remembered(staged: Path, live: Path) -> int:
    """Give the staged copy its `remembered_cells`: the cells the live copy holds or
    remembers that the staged copy does not hold. Returns how many."""
    with duckdb.connect(str(staged)) as con:
        if not live.exists():
            con.execute(f"create table main.{REMEMBERED} ({COLUMNS})")
            return 0
        con.execute(f"attach '{live}' as live (read_only)")
        con.execute(
            f"""
            create table main.{REMEMBERED} as
            select earlier.* from ({_earlier_cells(con)}) as earlier
            where not exists (
                select 1 from main.fct_area_indicator_month as staged
                where
                    staged.area_id = earlier.area_id
                    and staged.period = earlier.period
                    and staged.indicator_id = earlier.indicator_id
            )
            order by area_id, period, indicator_id
            """
        )
        return con.execute(f"select count(*) from main.{REMEMBERED}").fetchone()[0]


def withdrawn_unchanged(staged: Path, warehouse: Path, live: Path) -> list[str]:
    """Cells the live copy publishes (or remembers as published) and the staged copy
    hides although their values (the warehouse's) are unchanged: what the memory must
    prevent. A restated cell, whose value changed, may be hidden now."""
    if not live.exists():
        return []
    with _beside_live(staged, live) as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        earlier = _earlier_cells(con)
        rows = con.execute(
            f"""
            with restricted as (
                select * from warehouse.restricted.restricted_area_indicator_month
            ),

            current_values as (
                select area_id, period, indicator_id, numerator, denominator from restricted
                union all
                select 'municipality', period, indicator_id, sum(numerator), sum(denominator)
                from restricted
                group by period, indicator_id
            )

            select published.area_id, published.period, published.indicator_id
            from ({earlier}) as published
            inner join main.fct_area_indicator_month as staged
                using (area_id, period, indicator_id)
            inner join current_values using (area_id, period, indicator_id)
            where
                not published.suppressed
                and staged.suppressed
                and abs(current_values.numerator - published.numerator) < {SAME}
                and (
                    current_values.denominator is null and published.denominator is null
                    or abs(current_values.denominator - published.denominator) < {SAME}
                )
            order by 1, 2, 3
            """
        ).fetchall()
    withdrawn = "published unchanged in an earlier copy, hidden now"
    return [f"{i} {a} {m:%Y-%m} {withdrawn}" for a, m, i in rows]


def shown_after_hidden(staged: Path, live: Path) -> list[str]:
    """Cells the live copy hid (or remembers as hidden) and the staged copy shows. Only a
    restatement changes a hidden cell's value, and shown then, it would complete a hidden
    total of a copy from before the restatement (taken as unchanged), or have its old
    value bounded by what moved, which other indicators show."""
    if not live.exists():
        return []
    with _beside_live(staged, live) as con:
        rows = con.execute(
            f"""
            select hidden.area_id, hidden.period, hidden.indicator_id
            from ({_earlier_cells(con)}) as hidden
            inner join main.fct_area_indicator_month as staged
                using (area_id, period, indicator_id)
            where hidden.suppressed and not staged.suppressed
            order by 1, 2, 3
            """
        ).fetchall()
    shown = "hidden in an earlier copy, shown now"
    return [f"{i} {a} {m:%Y-%m} {shown}" for a, m, i in rows]


def moved_hidden_given_away(staged: Path, live: Path) -> list[str]:
    """Hidden cells that came or went between the live copy and the staged one, in an
    indicator and month where the staged copy shows a cell the live copy did not show
    with the same value: a cell the live copy hid that the staged copy no longer holds,
    or one the staged copy hides that no earlier copy held, in a month the live copy
    holds. The hidden value moved: to or from `outside` when an area leaves or joins the
    address register (a broken delivery, then its repair), an area merged, the
    municipality total, the windows of a month gone. Taking the other cells as unchanged,
    the changes of the shown cells give it away (the twenty-sixth session's attack read
    33 of an area's 54 hidden cells exactly). A cell that went in an earlier copy, and is
    only remembered, moved then: it does not hold later restatements back."""
    if not live.exists():
        return []
    with _beside_live(staged, live) as con:
        rows = con.execute(
            f"""
            with earlier as ({_earlier_cells(con)}),

            moved as (
                select held.indicator_id, held.area_id, held.period, 'gone now' as how
                from live.fct_area_indicator_month as held
                left join main.fct_area_indicator_month as staged
                    using (area_id, period, indicator_id)
                where held.suppressed and staged.area_id is null
                union all
                select staged.indicator_id, staged.area_id, staged.period, 'new' as how
                from main.fct_area_indicator_month as staged
                left join earlier using (area_id, period, indicator_id)
                where
                    staged.suppressed
                    and earlier.area_id is null
                    and exists (
                        select 1 from live.fct_area_indicator_month as month_held
                        where
                            month_held.indicator_id = staged.indicator_id
                            and month_held.period = staged.period
                    )
            ),

            changed as (
                select staged.indicator_id, staged.period, min(staged.area_id) as area_id
                from main.fct_area_indicator_month as staged
                left join earlier using (area_id, period, indicator_id)
                where
                    not staged.suppressed
                    and (
                        earlier.area_id is null
                        or earlier.suppressed
                        or abs(staged.numerator - earlier.numerator) >= {SAME}
                        or abs(staged.denominator - earlier.denominator) >= {SAME}
                        or (staged.numerator is null) != (earlier.numerator is null)
                        or (staged.denominator is null) != (earlier.denominator is null)
                    )
                group by staged.indicator_id, staged.period
            )

            select moved.indicator_id, moved.area_id, moved.period, moved.how, changed.area_id
            from moved
            inner join changed using (indicator_id, period)
            order by 1, 2, 3
            """
        ).fetchall()
    hid = {"gone now": "hidden in the live copy, gone now", "new": "hidden now, new in the month"}
    return [
        f"{i} {a} {m:%Y-%m} {hid[how]}, while {i} {shown} {m:%Y-%m} shows a value the live "
        "copy did not: the change would give the hidden cell away"
        for i, a, m, how, shown in rows
    ]


def no_longer_published(staged: Path, live: Path) -> dict[str, list[str]]:
    """Cells the live copy publishes (or remembers as published) that the staged copy
    hides (`hidden`: restated, as unchanged ones fail the publish) or no longer holds
    (`gone`: its area or months left the warehouse; named once, when it goes). Their old
    values stay public, so the publish step shows them."""
    withdrawn = {"hidden": [], "gone": []}
    if not live.exists():
        return withdrawn
    with _beside_live(staged, live) as con:
        rows = con.execute(
            f"""
            select
                published.indicator_id,
                published.area_id,
                published.period,
                staged.suppressed is null as gone
            from ({_earlier_cells(con, flagged=True)}) as published
            left join main.fct_area_indicator_month as staged
                using (area_id, period, indicator_id)
            where
                not published.suppressed
                and (staged.suppressed or staged.suppressed is null and not published.remembered)
            order by 1, 2, 3
            """
        ).fetchall()
    for indicator, area, month, gone in rows:
        withdrawn["gone" if gone else "hidden"].append(f"{indicator} {area} {month:%Y-%m}")
    return withdrawn
