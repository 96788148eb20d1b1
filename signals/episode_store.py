"""Episodes and their transitions in the warehouse's `alerts` schema.

Written by Python, not dbt, so a full refresh of the models never loses the history. The
SQL is plain ANSI (runs on PostgreSQL too); parameters use the DB-API `?` style.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, fields

import pandas as pd

from quality.disclosure_memory import TABLE as MEMORY
from signals.episodes import Episode, Transition

DDL = (
    "create schema if not exists alerts",
    """create table if not exists alerts.episodes (
        episode_id varchar(200) primary key,
        area_id varchar(50) not null,
        indicator_id varchar(100) not null,
        direction varchar(10) not null,
        state varchar(20) not null,
        severity varchar(10) not null,
        peak_severity varchar(10) not null,
        method varchar(20) not null,
        onset date not null,
        first_month date not null,
        last_signal_month date not null,
        last_month date not null,
        silenced_until date,
        silenced_by varchar(200),
        silence_reason varchar(1000),
        last_full_month date,
        quiet_months integer,
        reached_threshold boolean
    )""",
    """create table if not exists alerts.transitions (
        seq integer primary key,
        episode_id varchar(200) not null,
        month date not null,
        run_id varchar(100) not null,
        from_state varchar(20),
        to_state varchar(20) not null,
        note varchar(1000) not null
    )""",
)
# The episodes as the departments may see them (published as alert_episodes and
# alert_transitions): which series is in an episode, its state and months (opened, the
# estimated onset the digests say "siden", ended); never the restricted rates behind it,
# its severity or who silenced it and why. An episode with a transition in a month whose
# fact cell is hidden is left out whole, as its state there would tell something of the
# hidden value; an onset in a hidden month is left blank. The auditor checks both. A
# month without a row for the series has no data (a quarterly or yearly indicator's other
# months, school absence's July): nothing of it is hidden.
# Hidden cells: the fact's, and those an earlier copy hid that the fact no longer holds
# (their area or months left the warehouse: the memory, quality/disclosure_memory.py).
# Qualified: in a subquery an unknown column would bind to the outer query's.
_HIDDEN = f"""(
    select h.area_id, h.indicator_id, h.period
    from marts.fct_area_indicator_month as h where h.suppressed
    union all
    select m.area_id, m.indicator_id, m.period from {MEMORY} as m where m.suppressed
)"""
_SHOWN = f"""
    select e.episode_id from alerts.episodes as e
    where not exists (
        select 1 from alerts.transitions as t
        inner join {_HIDDEN} as f
            on f.area_id = e.area_id and f.indicator_id = e.indicator_id
            and f.period = t.month
        where t.episode_id = e.episode_id
    )
    -- nor an open one whose series is hidden in the newest month: hidden months do not
    -- move it (episodes.advance), so its state there would be stale, for good if the
    -- series stays hidden (a stock hidden whole)
    and not exists (
        select 1 from marts.fct_area_indicator_month as f
        where f.area_id = e.area_id and f.indicator_id = e.indicator_id and f.suppressed
            and f.period = (select max(period) from marts.fct_area_indicator_month)
            and e.state != 'afsluttet'
    )
"""
PUBLISHED_VIEW = (
    "drop table if exists alerts.published_episodes",
    f"""create table alerts.published_episodes as
        select e.episode_id, e.area_id, e.indicator_id, e.state,
            e.first_month as start_month,
            case when not onset.suppressed then e.onset end as onset_month,
            case when e.state = 'afsluttet' then
                (select max(t.month) from alerts.transitions as t
                 where t.episode_id = e.episode_id and t.to_state = 'afsluttet')
            end as end_month
        from alerts.episodes as e
        left join marts.fct_area_indicator_month as onset
            on onset.area_id = e.area_id and onset.indicator_id = e.indicator_id
            and onset.period = e.onset
        where e.episode_id in ({_SHOWN})""",
    "drop table if exists alerts.published_transitions",
    f"""create table alerts.published_transitions as
        select row_number() over (order by t.seq) as step, t.episode_id, t.month,
            t.from_state, t.to_state
        from alerts.transitions as t
        where t.episode_id in ({_SHOWN})""",
)
EPISODE_COLUMNS = [f.name for f in fields(Episode)]
TRANSITION_COLUMNS = [f.name for f in fields(Transition)]


# Warehouses from before quiet_months: their episodes' quiet months so far, counted as
# every month since the last signal (all were applied, one by one, then).
ADD_QUIET_MONTHS = (
    "alter table alerts.episodes add column quiet_months integer",
    """update alerts.episodes set quiet_months
        = (extract(year from last_month) - extract(year from last_signal_month)) * 12
        + extract(month from last_month) - extract(month from last_signal_month)""",
)


# Warehouses from before reached_threshold: an episode reached its threshold if its
# signal is a threshold one now or an escalation was noted "(threshold)". One opened by a
# threshold signal that has had others since is not known: its next threshold signal
# escalates it once more, as every one did before.
REACHED_THRESHOLD = """(method = 'threshold' or episode_id in (
    select t.episode_id from alerts.transitions as t
    where t.to_state = 'skærpet' and t.note like '%(threshold)%'))"""
ADD_REACHED_THRESHOLD = (
    "alter table alerts.episodes add column reached_threshold boolean",
    f"update alerts.episodes set reached_threshold = {REACHED_THRESHOLD}",
)
# Columns added since the first release: how a run adds them, and how a read-only reader
# (`kvarter alerts list`) of a warehouse no run has migrated yet reads them.
MIGRATIONS = {"quiet_months": ADD_QUIET_MONTHS, "reached_threshold": ADD_REACHED_THRESHOLD}
UNMIGRATED = {"quiet_months": "0", "reached_threshold": REACHED_THRESHOLD}


def _episode_columns(con) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'alerts' and table_name = 'episodes'"
    ).fetchall()
    return {name for (name,) in rows}


def ensure_schema(con) -> None:
    for statement in DDL:
        con.execute(statement)
    present = _episode_columns(con)
    for column, statements in MIGRATIONS.items():
        if column not in present:  # altered only when needed: a lock
            for statement in statements:
                con.execute(statement)


def memory_missing(con) -> str | None:
    """Why the disclosure memory cannot be read here, or None: a warehouse no dbt run has
    touched since the memory (or its `suppressed` column) came in lacks it until its next
    run, and a digest judged without it could name an episode of a cell hidden before."""
    schema, table = MEMORY.split(".")
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    if not rows:
        return f"{MEMORY} findes ikke"
    if "suppressed" not in {name for (name,) in rows}:
        return f"{MEMORY} mangler kolonnen suppressed"
    return None


def mailable_ids(con, month) -> set[str]:
    """The episodes a digest of `month` may name: shown in the published copy, and with
    their series published in `month` too (an ongoing episode's severity that month comes
    from its value then, with no transition to check)."""
    rows = con.execute(
        f"""select e.episode_id from alerts.episodes as e
        inner join marts.fct_area_indicator_month as f
            on f.area_id = e.area_id and f.indicator_id = e.indicator_id and f.period = ?
        where not f.suppressed and e.episode_id in ({_SHOWN})""",
        [month],
    ).fetchall()
    return {episode_id for (episode_id,) in rows}


def write_published_view(con) -> None:
    """Rebuild the publishable view of the episodes (alerts.published_*)."""
    for statement in PUBLISHED_VIEW:
        con.execute(statement)


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _episode(row: tuple) -> Episode:
    values = dict(zip(EPISODE_COLUMNS, row))
    for name in ("onset", "first_month", "last_signal_month", "last_month", "silenced_until",
                 "last_full_month"):  # fmt: skip
        values[name] = _date(values[name])
    return Episode(**values)


def load_episodes(con, where: str = "", params: tuple = ()) -> list[Episode]:
    present = _episode_columns(con)
    columns = [c if c in present else f"{UNMIGRATED[c]} as {c}" for c in EPISODE_COLUMNS]
    rows = con.execute(
        f"select {', '.join(columns)} from alerts.episodes {where} "
        "order by first_month, episode_id",
        params,
    ).fetchall()
    return [_episode(row) for row in rows]


def load_episode(con, episode_id: str) -> Episode:
    found = load_episodes(con, "where episode_id = ?", (episode_id,))
    if not found:
        raise KeyError(f"ingen episode med id {episode_id}")
    return found[0]


def save(con, episodes: list[Episode], transitions: list[Transition]) -> None:
    """Upsert the episodes (delete and insert: the same on every database) and append the
    transitions, in one transaction."""
    con.execute("begin")
    try:
        for episode in episodes:
            con.execute("delete from alerts.episodes where episode_id = ?", (episode.episode_id,))
            con.execute(
                f"insert into alerts.episodes ({', '.join(EPISODE_COLUMNS)}) "
                f"values ({', '.join('?' * len(EPISODE_COLUMNS))})",
                astuple(episode),
            )
        # seq keeps the order of transitions within a month.
        [(last,)] = con.execute("select coalesce(max(seq), 0) from alerts.transitions").fetchall()
        for seq, transition in enumerate(transitions, start=last + 1):
            con.execute(
                f"insert into alerts.transitions (seq, {', '.join(TRANSITION_COLUMNS)}) "
                f"values (?, {', '.join('?' * len(TRANSITION_COLUMNS))})",
                (seq, *astuple(transition)),
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def transitions_of(con, episode_id: str | None = None, month: dt.date | None = None):
    """Transitions, oldest first, of one episode and/or one month."""
    clauses, params = [], []
    if episode_id is not None:
        clauses.append("episode_id = ?")
        params.append(episode_id)
    if month is not None:
        clauses.append("month = ?")
        params.append(month)
    where = f"where {' and '.join(clauses)}" if clauses else ""
    rows = con.execute(
        f"select {', '.join(TRANSITION_COLUMNS)} from alerts.transitions {where} order by seq",
        tuple(params),
    ).fetchall()
    return [
        Transition(**{**dict(zip(TRANSITION_COLUMNS, row)), "month": _date(row[1])}) for row in rows
    ]
