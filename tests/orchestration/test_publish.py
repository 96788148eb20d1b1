"""The publish step swaps in a staged copy only when the disclosure audit passes."""

import duckdb
import pandas as pd
import pytest

import orchestration.defs.publish as publish_assets
from orchestration.defs.publish import PUBLISHED_TABLES, DisclosureError, publish
from quality.disclosure_audit import AuditReport, Exposure
from quality.disclosure_memory import TABLE as MEMORY
from quality.disclosure_memory import remember_published


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for source in PUBLISHED_TABLES.values():
            schema, _ = source.split(".")
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {source} as select 1 as x")
    return path


@pytest.fixture
def audit_passes(monkeypatch):
    """The linear-programming audit passes: these tests are about the publish step."""
    monkeypatch.setattr(
        publish_assets, "audit_published", lambda path, memo: AuditReport(protection_level=5)
    )


def test_a_copy_that_fails_the_audit_is_never_published(warehouse, tmp_path, monkeypatch):
    target = tmp_path / "published" / "kvarter.duckdb"
    target.parent.mkdir()
    target.write_bytes(b"the copy readers have now")
    failing = AuditReport(protection_level=5, exposures=[Exposure("x A 2025-03 numerator", 3, 3)])
    monkeypatch.setattr(publish_assets, "audit_published", lambda path, memo: failing)
    monkeypatch.setattr(publish_assets, "withdrawn_unchanged", lambda *paths: [])
    monkeypatch.setattr(publish_assets, "shown_after_hidden", lambda *paths: [])
    monkeypatch.setattr(publish_assets, "carry_remembered", lambda *paths: 0)
    monkeypatch.setattr(publish_assets, "moved_hidden_given_away", lambda *paths: [])
    with pytest.raises(DisclosureError, match="x A 2025-03 numerator known to within 0$"):
        publish(warehouse, target)
    assert target.read_bytes() == b"the copy readers have now"
    assert list(target.parent.iterdir()) == [target]  # the staged copy is gone


def test_a_copy_that_passes_replaces_the_old_one(warehouse, tmp_path, audit_passes):
    target = tmp_path / "published" / "kvarter.duckdb"
    counts, report, withdrawn = publish(warehouse, target)
    assert report.passed
    assert withdrawn == {"hidden": [], "gone": []}  # no live copy before
    assert counts == {**dict.fromkeys(PUBLISHED_TABLES, 1), "remembered_cells": 0}
    with duckdb.connect(str(target), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
    assert tables == {*PUBLISHED_TABLES, "remembered_cells"}
    # The same tables as Parquet beside the copy, for analysts' tools.
    parquet = target.parent / "parquet"
    assert sorted(p.name for p in parquet.iterdir()) == sorted(
        f"{name}.parquet" for name in PUBLISHED_TABLES
    )
    assert pd.read_parquet(parquet / "dim_area.parquet").to_dict("records") == [{"x": 1}]


def series(area: str) -> tuple[str, str]:
    """'A' is area A's cell of x; 'A:r' its cell of indicator r."""
    area, _, indicator = area.partition(":")
    return area, indicator or "x"


def fact(cells: list[tuple]) -> str:
    """A fact table's select of (area, suppressed, numerator, denominator) cells of x (or
    the indicator `series` names) in March 2025."""

    def sql(value) -> str:
        return "null" if value is None else str(value).lower()

    rows = ", ".join(
        "('{}', date '2025-03-01', '{}', {}, {}, {})".format(
            *series(area), sql(hidden), sql(n), sql(d)
        )
        for area, hidden, n, d in cells
    )
    return (
        f"select * from (values {rows})"
        " as t (area_id, period, indicator_id, suppressed, numerator, denominator)"
    )


def memory_case(warehouse, tmp_path, restricted, staged, live):
    """A warehouse whose restricted cells of x in March 2025 are `restricted` (area,
    numerator, denominator) and its fact `staged`, and a live copy publishing `live`
    (`fact`'s cells); returns the live copy's path."""
    cells = "area_id text, period date, indicator_id text, numerator double, denominator double"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema restricted")
        con.execute(f"create table restricted.restricted_area_indicator_month ({cells})")
        for area, numerator, denominator in restricted:
            con.execute(
                "insert into restricted.restricted_area_indicator_month values"
                " (?, '2025-03-01', ?, ?, ?)",
                [*series(area), numerator, denominator],
            )
        con.execute(f"create or replace table marts.fct_area_indicator_month as {fact(staged)}")
    target = tmp_path / "published" / "kvarter.duckdb"
    target.parent.mkdir()
    with duckdb.connect(str(target)) as con:
        con.execute(f"create table fct_area_indicator_month as {fact(live)}")
    return target


def test_a_copy_that_hides_a_cell_published_unchanged_is_not_published(
    warehouse, tmp_path, audit_passes
):
    """The live copy published A (10 of 40), B (8 of 40) and their total (18 of 80). The
    warehouse now has A unchanged and B restated to 3 of 40, and its fact hides all three:
    B and the total changed and may be judged afresh, A may not (README, memory)."""
    target = memory_case(
        warehouse,
        tmp_path,
        restricted=[("A", 10, 40), ("B", 3, 40)],
        staged=[(area, True, None, None) for area in ("A", "B", "municipality")],
        live=[("A", False, 10, 40), ("B", False, 8, 40), ("municipality", False, 18, 80)],
    )
    before = target.read_bytes()
    with pytest.raises(DisclosureError) as error:
        publish(warehouse, target)
    assert error.value.report.findings == [
        "x A 2025-03 published unchanged in an earlier copy, hidden now"
    ]
    assert target.read_bytes() == before


# A cell the live copy hid, shown by the staged copy: (restricted, staged, live, the cell).
SHOWN_AFTER_HIDDEN = {
    # B is restated (hidden now): D shown now, taken as unchanged, would give the live
    # copy's hidden total away.
    "beside a restated cell": (
        [("A", 10, 40), ("B", 3, 40), ("D", 8, 60)],
        [("A", False, 10, 40), ("B", True, None, None), ("D", False, 8, 60),
         ("municipality", True, None, None)],
        [("A", False, 10, 40), ("B", False, 8, 40), ("D", True, None, None),
         ("municipality", False, 26, 140)],
        "D",
    ),
    # An address correction moved a person from D to A: their residents (indicator r,
    # published) show it, while x's published cells (B, the total) stay the same. A,
    # hidden as 4 of 68 before, shown now as 5 of 69, would bound its old value by the one
    # person who moved (the twenty-fourth session's two-copy attack).
    "in a month restated in another indicator": (
        [("A", 5, 69), ("D", 5, 39), ("B", 10, 100), ("A:r", 69, 200), ("D:r", 39, 200)],
        [("A", False, 5, 69), ("D", True, None, None), ("B", False, 10, 100),
         ("municipality", False, 20, 208), ("A:r", False, 69, 200), ("D:r", False, 39, 200)],
        [("A", True, None, None), ("D", True, None, None), ("B", False, 10, 100),
         ("municipality", False, 20, 208), ("A:r", False, 68, 200), ("D:r", False, 40, 200)],
        "A",
    ),
    # Nothing changed: the pair of copies would still show a hidden value (as a copy
    # built after a restatement, set beside one from before it, would bound A's old one).
    "with nothing changed": (
        [("A", 5, 69), ("D", 5, 39), ("B", 10, 100)],
        [("A", False, 5, 69), ("D", True, None, None), ("B", False, 10, 100)],
        [("A", True, None, None), ("D", True, None, None), ("B", False, 10, 100)],
        "A",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("restricted", "staged", "live", "cell"),
    SHOWN_AFTER_HIDDEN.values(),
    ids=SHOWN_AFTER_HIDDEN.keys(),
)
def test_a_copy_that_shows_a_cell_the_live_copy_hid_is_not_published(
    warehouse, tmp_path, audit_passes, restricted, staged, live, cell
):
    target = memory_case(warehouse, tmp_path, restricted=restricted, staged=staged, live=live)
    with pytest.raises(DisclosureError) as error:
        publish(warehouse, target)
    assert error.value.report.findings == [f"x {cell} 2025-03 hidden in an earlier copy, shown now"]


def test_a_copy_that_withdraws_restated_cells_and_loses_others_says_which(
    warehouse, tmp_path, audit_passes
):
    """The live copy published A, B, C and their total. The warehouse now has A unchanged,
    B restated (hidden now) and no C (its area left): the copy passes, and names B and the
    total as withdrawn after a restatement and C as gone (their old values stay public)."""
    target = memory_case(
        warehouse,
        tmp_path,
        restricted=[("A", 10, 40), ("B", 3, 40)],
        staged=[("A", False, 10, 40), ("B", True, None, None), ("municipality", True, None, None)],
        live=[
            ("A", False, 10, 40),
            ("B", False, 8, 40),
            ("C", False, 6, 40),
            ("municipality", False, 24, 120),
        ],
    )
    _, report, withdrawn = publish(warehouse, target)
    assert report.passed
    assert withdrawn == {
        "hidden": ["x B 2025-03", "x municipality 2025-03"],
        "gone": ["x C 2025-03"],
    }


def test_cells_that_leave_the_warehouse_are_remembered_until_they_come_back(
    warehouse, tmp_path, audit_passes
):
    """The live copy published A (10 of 40) and hid D. Two copies without them (their
    area left the warehouse) carry both in `remembered_cells`, and the warehouse's memory
    holds them; when they come back, A hidden at the same value or D shown refuses the
    copy, as if they had never gone (before, both were judged afresh); A hidden after a
    restatement is named as withdrawn."""
    target = memory_case(
        warehouse,
        tmp_path,
        restricted=[("B", 10, 100)],
        staged=[("B", False, 10, 100)],
        live=[("A", False, 10, 40), ("B", False, 10, 100), ("D", True, None, None)],
    )
    _, _, withdrawn = publish(warehouse, target)
    assert withdrawn == {"hidden": [], "gone": ["x A 2025-03"]}
    _, _, withdrawn = publish(warehouse, target)  # still gone: named once, when it went
    assert withdrawn == {"hidden": [], "gone": []}
    with duckdb.connect(str(target), read_only=True) as con:
        carried = con.execute(
            "select area_id, numerator, denominator, suppressed from remembered_cells"
        ).fetchall()
    assert carried == [("A", 10, 40, False), ("D", None, None, True)]
    remember_published(warehouse, target)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        memory = con.execute(
            f"select area_id, numerator, suppressed from {MEMORY} order by 1"
        ).fetchall()
    assert memory == [("A", 10, False), ("B", 10, False), ("D", None, True)]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into restricted.restricted_area_indicator_month values"
            " ('A', '2025-03-01', 'x', 10, 40), ('D', '2025-03-01', 'x', 5, 39)"
        )
        staged = [("A", True, None, None), ("B", False, 10, 100), ("D", False, 5, 39)]
        con.execute(f"create or replace table marts.fct_area_indicator_month as {fact(staged)}")
    with pytest.raises(DisclosureError) as error:
        publish(warehouse, target)
    assert error.value.report.findings == [
        "x A 2025-03 published unchanged in an earlier copy, hidden now",
        "x D 2025-03 hidden in an earlier copy, shown now",
    ]
    # A back restated (11 of 40) and hidden, D hidden: published, A named as withdrawn.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update restricted.restricted_area_indicator_month set numerator = 11"
            " where area_id = 'A'"
        )
        staged = [("A", True, None, None), ("B", False, 10, 100), ("D", True, None, None)]
        con.execute(f"create or replace table marts.fct_area_indicator_month as {fact(staged)}")
    _, _, withdrawn = publish(warehouse, target)
    assert withdrawn == {"hidden": ["x A 2025-03"], "gone": []}


# A hidden cell moves: (restricted, staged, live, finding or None). D's area leaves the
# address register (its people outside now, the total unchanged), or joins it (the repair
# of a delivery that left it out), with outside shown or hidden.
D_LEAVES = (
    [("A", 10, 40), ("outside", 25, 139)],
    [("A", False, 10, 40), ("outside", False, 25, 139), ("municipality", False, 35, 179)],
    [("A", False, 10, 40), ("D", True, None, None), ("outside", False, 20, 100),
     ("municipality", False, 35, 179)],
)  # fmt: skip
D_JOINS = (
    [("A", 10, 40), ("D", 5, 39), ("outside", 20, 100)],
    [("A", False, 10, 40), ("D", True, None, None), ("outside", False, 20, 100),
     ("municipality", False, 35, 179)],
    [("A", False, 10, 40), ("outside", False, 25, 139), ("municipality", False, 35, 179)],
)  # fmt: skip
GIVEN_AWAY = ", while x outside 2025-03 shows a value the live copy did not: the change "
MOVES = {
    "an area leaves, outside shown": (
        *D_LEAVES,
        "x D 2025-03 hidden in the live copy, gone now" + GIVEN_AWAY + "would give the "
        "hidden cell away",
    ),
    "an area leaves, outside hidden": (
        D_LEAVES[0],
        [c if c[0] != "outside" else ("outside", True, None, None) for c in D_LEAVES[1]],
        D_LEAVES[2],
        None,
    ),
    "an area joins, outside shown": (
        *D_JOINS,
        "x D 2025-03 hidden now, new in the month" + GIVEN_AWAY + "would give the hidden cell away",
    ),
}


@pytest.mark.parametrize(("restricted", "staged", "live", "finding"), MOVES.values(), ids=MOVES)
def test_a_copy_that_shows_where_a_hidden_cell_moved_is_not_published(
    warehouse, tmp_path, audit_passes, restricted, staged, live, finding
):
    """D (5 of 39) hidden, its people counted outside while its area is out of the address
    register: shown, outside's change is D's value (the twenty-sixth session's attack, and
    its reverse); hidden, the copy may be published."""
    target = memory_case(warehouse, tmp_path, restricted=restricted, staged=staged, live=live)
    if finding is None:
        _, report, _ = publish(warehouse, target)
        assert report.passed
        return
    with pytest.raises(DisclosureError) as error:
        publish(warehouse, target)
    assert error.value.report.findings == [finding]


def test_a_hidden_cell_that_went_in_an_earlier_copy_holds_no_later_restatement_back(
    warehouse, tmp_path, audit_passes
):
    """D went when outside was hidden; the live copy only remembers it. A later address
    correction moving a person from A to B tells nothing of D: published."""
    target = memory_case(
        warehouse,
        tmp_path,
        restricted=[("A", 9, 39), ("B", 11, 41)],
        staged=[("A", False, 9, 39), ("B", False, 11, 41), ("outside", True, None, None)],
        live=[("A", False, 10, 40), ("B", False, 10, 40), ("outside", True, None, None)],
    )
    with duckdb.connect(str(target)) as con:
        con.execute(f"create table remembered_cells as {fact([('D', True, None, None)])}")
    _, report, _ = publish(warehouse, target)
    assert report.passed
