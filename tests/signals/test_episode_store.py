"""The publishable view of the episodes, on a hand-made warehouse."""

import datetime as dt
from dataclasses import replace

import duckdb

from quality.disclosure_memory import COLUMNS
from signals import episode_store
from signals.episodes import Episode, Transition

D = dt.date


def episode(episode_id: str, state: str, first: dt.date, **more) -> Episode:
    area, indicator, direction, *_ = episode_id.split("-")
    return Episode(episode_id, area, indicator, direction, state, "alarm", "alarm", "glr",
                   first, first, first, first, **more)  # fmt: skip


def warehouse(cells: str, remembered_hidden: str = "") -> duckdb.DuckDBPyConnection:
    """The fact's cells (SQL values: area, indicator, month, suppressed), the disclosure
    memory's hidden cells the fact no longer holds (area, indicator, month) and the
    episode store, in memory."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(f"""create table marts.fct_area_indicator_month as
        select * from (values {cells}) as t (area_id, indicator_id, period, suppressed)""")
    con.execute("create schema publication")
    con.execute(f"create table publication.published_cells ({COLUMNS})")
    if remembered_hidden:
        con.execute(f"""insert into publication.published_cells
            select area_id, period, indicator_id, null, null, true
            from (values {remembered_hidden}) as t (area_id, indicator_id, period)""")
    episode_store.ensure_schema(con)
    return con


def test_only_episodes_whose_every_month_is_published_are_shown_without_restricted_detail():
    """BO01 x: ny Oct, igangværende Nov, afsluttet Jan, all published -> shown, ended Jan.
    BO02 x: ny Nov (published), skærpet Dec (hidden cell) -> left out whole.
    BO01 y: ny Dec, silenced by a named person -> shown as dæmpet, no name or reason; its
    onset (Sep) is a month without a published cell: left blank."""
    con = warehouse("""
            ('BO01', 'x', date '2025-10-01', false), ('BO01', 'x', date '2025-11-01', false),
            ('BO01', 'x', date '2026-01-01', false), ('BO02', 'x', date '2025-11-01', false),
            ('BO02', 'x', date '2025-12-01', true), ('BO01', 'y', date '2025-12-01', false)
    """)
    episode_store.save(
        con,
        [
            episode("BO01-x-op-2025-10", "afsluttet", D(2025, 10, 1)),
            episode("BO02-x-op-2025-11", "skærpet", D(2025, 11, 1)),
            replace(
                episode(
                    "BO01-y-ned-2025-12",
                    "dæmpet",
                    D(2025, 12, 1),
                    silenced_until=D(2026, 6, 1),
                    silenced_by="Jens Hansen",
                    silence_reason="Kendt årsag",
                ),
                onset=D(2025, 9, 1),
            ),
        ],
        [
            Transition("BO01-x-op-2025-10", D(2025, 10, 1), "r1", None, "ny", "0,41"),
            Transition("BO02-x-op-2025-11", D(2025, 11, 1), "r2", None, "ny", ""),
            Transition("BO01-x-op-2025-10", D(2025, 11, 1), "r2", "ny", "igangværende", ""),
            Transition("BO02-x-op-2025-11", D(2025, 12, 1), "r3", "ny", "skærpet", "alarm"),
            Transition("BO01-y-ned-2025-12", D(2025, 12, 1), "r3", None, "ny", ""),
            Transition("BO01-y-ned-2025-12", D(2025, 12, 1), "r3", "ny", "dæmpet", "Jens"),
            Transition("BO01-x-op-2025-10", D(2026, 1, 1), "r4", "igangværende", "afsluttet", ""),
        ],
    )
    episode_store.write_published_view(con)
    assert con.execute(
        "select * from alerts.published_episodes order by episode_id"
    ).fetchall() == [
        (
            "BO01-x-op-2025-10",
            "BO01",
            "x",
            "afsluttet",
            D(2025, 10, 1),
            D(2025, 10, 1),
            D(2026, 1, 1),
        ),
        ("BO01-y-ned-2025-12", "BO01", "y", "dæmpet", D(2025, 12, 1), None, None),
    ]
    # Renumbered over what is shown, in the order they happened; no run ids or notes.
    assert con.execute("select * from alerts.published_transitions order by step").fetchall() == [
        (1, "BO01-x-op-2025-10", D(2025, 10, 1), None, "ny"),
        (2, "BO01-x-op-2025-10", D(2025, 11, 1), "ny", "igangværende"),
        (3, "BO01-y-ned-2025-12", D(2025, 12, 1), None, "ny"),
        (4, "BO01-y-ned-2025-12", D(2025, 12, 1), "ny", "dæmpet"),
        (5, "BO01-x-op-2025-10", D(2026, 1, 1), "igangværende", "afsluttet"),
    ]
    # Rebuilt, not appended to, on the next run.
    episode_store.write_published_view(con)
    assert con.execute("select count(*) from alerts.published_transitions").fetchall() == [(5,)]


def test_a_month_without_a_row_of_a_quarterly_series_hides_nothing():
    """q is quarterly: rows only in September and December. BO01 q: ny Sep, silenced in
    October, back in November when the silence ended (months without a row) -> shown, and
    mailable in December. BO02 q: ny Sep, igangværende Dec, whose cell is hidden -> left
    out. Before the twenty-fourth session a month without a row counted as hidden, and
    BO01's episode was neither published nor mailed."""
    con = warehouse("""
            ('BO01', 'q', date '2025-09-01', false), ('BO01', 'q', date '2025-12-01', false),
            ('BO02', 'q', date '2025-09-01', false), ('BO02', 'q', date '2025-12-01', true)
    """)
    sep = D(2025, 9, 1)
    episode_store.save(
        con,
        [episode("BO01-q-op-2025-09", "igangværende", sep),
         episode("BO02-q-op-2025-09", "igangværende", sep)],
        [
            Transition("BO01-q-op-2025-09", sep, "r1", None, "ny", ""),
            Transition("BO02-q-op-2025-09", sep, "r1", None, "ny", ""),
            Transition("BO01-q-op-2025-09", D(2025, 10, 1), "cli", "ny", "dæmpet", ""),
            Transition("BO01-q-op-2025-09", D(2025, 11, 1), "r3", "dæmpet", "igangværende", ""),
            Transition("BO02-q-op-2025-09", D(2025, 12, 1), "r4", "ny", "igangværende", ""),
        ],
    )  # fmt: skip
    episode_store.write_published_view(con)
    shown = con.execute("select episode_id, onset_month from alerts.published_episodes")
    assert shown.fetchall() == [("BO01-q-op-2025-09", sep)]
    assert con.execute(
        "select step, month, to_state from alerts.published_transitions order by step"
    ).fetchall() == [
        (1, sep, "ny"), (2, D(2025, 10, 1), "dæmpet"), (3, D(2025, 11, 1), "igangværende")
    ]  # fmt: skip
    assert episode_store.mailable_ids(con, D(2025, 12, 1)) == {"BO01-q-op-2025-09"}


def test_an_episode_naming_a_month_hidden_before_its_area_left_is_left_out():
    """BO02 left the warehouse: the fact no longer holds its cells, the memory holds its
    December cell of x as hidden. Its episode (ny Nov, skærpet Dec) would otherwise be
    shown, telling of a signal in the hidden month (the twenty-sixth session's review)."""
    con = warehouse(
        "('BO01', 'x', date '2025-11-01', false)",
        remembered_hidden="('BO02', 'x', date '2025-12-01')",
    )
    nov = D(2025, 11, 1)
    episode_store.save(
        con,
        [episode("BO02-x-op-2025-11", "skærpet", nov)],
        [
            Transition("BO02-x-op-2025-11", nov, "r2", None, "ny", ""),
            Transition("BO02-x-op-2025-11", D(2025, 12, 1), "r3", "ny", "skærpet", "alarm"),
        ],
    )
    episode_store.write_published_view(con)
    assert con.execute("select count(*) from alerts.published_episodes").fetchall() == [(0,)]
    assert con.execute("select count(*) from alerts.published_transitions").fetchall() == [(0,)]


def test_an_open_episode_whose_series_is_hidden_in_the_newest_month_is_left_out():
    """A stock series hidden whole from December on: BO01 s opened in October, its months
    since are hidden, so nothing moves it and it would stay open for good; left out while
    its series is hidden in the newest month. BO02 s, closed in November, stays shown."""
    con = warehouse("""
            ('BO01', 's', date '2025-10-01', false), ('BO01', 's', date '2025-12-01', true),
            ('BO02', 's', date '2025-10-01', false), ('BO02', 's', date '2025-11-01', false),
            ('BO02', 's', date '2025-12-01', true)
    """)
    oct_ = D(2025, 10, 1)
    episode_store.save(
        con,
        [episode("BO01-s-op-2025-10", "ny", oct_),
         episode("BO02-s-op-2025-10", "afsluttet", oct_)],
        [
            Transition("BO01-s-op-2025-10", oct_, "r1", None, "ny", ""),
            Transition("BO02-s-op-2025-10", oct_, "r1", None, "ny", ""),
            Transition("BO02-s-op-2025-10", D(2025, 11, 1), "r2", "ny", "afsluttet", ""),
        ],
    )  # fmt: skip
    episode_store.write_published_view(con)
    shown = con.execute("select episode_id, state from alerts.published_episodes").fetchall()
    assert shown == [("BO02-s-op-2025-10", "afsluttet")]


def old_warehouse(*rows: str, missing=("quiet_months", "reached_threshold")):
    """alerts.episodes without the `missing` columns (each row: the other columns' values
    in SQL), and an empty alerts.transitions."""
    con = duckdb.connect()
    con.execute("create schema alerts")
    con.execute(episode_store.DDL[2])
    columns = ", ".join(c for c in episode_store.EPISODE_COLUMNS if c not in missing)
    values = ", ".join(f"({row})" for row in rows)
    con.execute(f"create table alerts.episodes as select * from (values {values}) as t ({columns})")
    return con


def test_a_warehouse_from_before_quiet_months_counts_them_from_the_last_signal():
    con = old_warehouse("'E1', 'BO01', 'x', 'op', 'igangværende', 'alarm', 'alarm', 'glr', "
                        "date '2025-09-01', date '2025-09-01', date '2025-11-01', "
                        "date '2026-01-01', null, null, null, null")  # fmt: skip
    [episode] = episode_store.load_episodes(con)  # a read-only reader before any run
    assert episode.quiet_months == 0
    episode_store.ensure_schema(con)
    [episode] = episode_store.load_episodes(con)
    assert episode.quiet_months == 2  # December and January without a signal


def test_a_warehouse_from_before_reached_threshold_finds_it_in_method_and_notes():
    # E1's signal is a threshold one; E2 escalated for its threshold in October and is the
    # model's watch again; E3 escalated to an alarm only.
    rows = [
        f"'{e}', 'BO01', '{e}', 'op', 'igangværende', 'watch', '{peak}', '{method}', "
        "date '2025-09-01', date '2025-09-01', date '2025-11-01', date '2025-11-01', "
        "null, null, null, null, 0"
        for e, peak, method in (("E1", "watch", "threshold"), ("E2", "watch", "glr"),
                                ("E3", "alarm", "glr"))
    ]  # fmt: skip
    con = old_warehouse(*rows, missing=("reached_threshold",))
    episode_store.save(con, [], [
        Transition("E2", D(2025, 10, 1), "r", "ny", "skærpet", "watch -> watch (threshold)"),
        Transition("E3", D(2025, 10, 1), "r", "ny", "skærpet", "watch -> alarm (glr)"),
    ])  # fmt: skip
    reached = {"E1": True, "E2": True, "E3": False}
    read_only = episode_store.load_episodes(con)
    assert {e.episode_id: e.reached_threshold for e in read_only} == reached
    episode_store.ensure_schema(con)
    assert {e.episode_id: e.reached_threshold for e in episode_store.load_episodes(con)} == reached
