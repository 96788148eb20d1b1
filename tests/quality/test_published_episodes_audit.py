"""The auditor's checks of the published episodes, the cells remembered from earlier
copies and which tables are published, on a hand-made copy."""

import duckdb

from quality.disclosure_audit import _episode_checks, _remembered_checks, _unaudited_tables


def copy(episode_columns: str = "") -> duckdb.DuckDBPyConnection:
    """BO01 x published in Nov and Dec 2025, hidden in Jan 2026. One episode shown, opened
    Nov, ended Dec, with a transition in each."""
    con = duckdb.connect()
    con.execute("""create table fct_area_indicator_month as select * from (values
        ('BO01', 'x', date '2025-11-01', false), ('BO01', 'x', date '2025-12-01', false),
        ('BO01', 'x', date '2026-01-01', true)) as t (area_id, indicator_id, period, suppressed)""")
    con.execute(f"""create table alert_episodes as select 'E1' as episode_id, 'BO01' as area_id,
        'x' as indicator_id, 'afsluttet' as state, date '2025-11-01' as start_month,
        date '2025-11-01' as onset_month, date '2025-12-01' as end_month {episode_columns}""")
    con.execute("""create table alert_transitions as select * from (values
        (1, 'E1', date '2025-11-01', null, 'ny'),
        (2, 'E1', date '2025-12-01', 'ny', 'afsluttet')
        ) as t (step, episode_id, month, from_state, to_state)""")
    return con


def test_episodes_naming_only_published_months_pass():
    assert _episode_checks(copy()) == []


def test_a_hidden_month_an_orphan_transition_and_a_restricted_column_are_found():
    con = copy(", 0.41 as rate, 'Jens' as silenced_by")
    con.execute("insert into alert_transitions values (3, 'E1', date '2026-01-01', 'x', 'ny')")
    con.execute("insert into alert_transitions values (4, 'E9', date '2025-12-01', null, 'ny')")
    assert _episode_checks(con) == [
        "alert_episodes publishes column rate",
        "alert_episodes publishes column silenced_by",
        "episode E1 2026-01 shows a hidden cell",
        "episode E9 2025-12 is not a published episode",
    ]


def test_a_month_without_a_cell_of_the_series_is_not_a_hidden_one():
    # BO01 x has no row for October (as a quarterly series' other months): a silence that
    # ended then names nothing hidden (a finding before the twenty-fourth session, when
    # such episodes were left out of the published copy).
    con = copy()
    con.execute("insert into alert_transitions values (3, 'E1', date '2025-10-01', 'x', 'ny')")
    assert _episode_checks(con) == []


def test_an_onset_in_a_hidden_month_is_found():
    con = copy()
    con.execute("update alert_episodes set onset_month = date '2026-01-01'")
    assert _episode_checks(con) == ["episode E1 2026-01 shows a hidden cell"]


def test_a_table_the_auditor_does_not_know_is_a_finding():
    con = copy()
    con.execute("create table area_signals_raw as select 0.41 as rate")
    assert _unaudited_tables(con) == ["table area_signals_raw is published but not audited"]


def test_remembered_cells_are_none_the_copy_holds_and_hidden_ones_carry_no_value():
    con = copy()
    assert _remembered_checks(con) == []  # a copy from before remembered cells
    con.execute("""create table remembered_cells as select * from (values
        ('BO02', date '2025-11-01', 'x', 5.0, 40.0, false),
        ('BO03', date '2025-11-01', 'x', null, null, true)
        ) as t (area_id, period, indicator_id, numerator, denominator, suppressed)""")
    assert _remembered_checks(con) == []
    con.execute("""insert into remembered_cells values
        ('BO04', date '2025-11-01', 'x', 2, null, true),
        ('BO01', date '2026-01-01', 'x', null, null, true)""")
    assert _remembered_checks(con) == [
        "remembered cell x BO01 2026-01 is a cell the copy holds",
        "remembered cell x BO04 2025-11 is hidden with a value",
    ]
    con.execute("alter table remembered_cells add column rate double")
    assert _remembered_checks(con)[0] == "remembered_cells publishes column rate"


def test_an_episode_naming_a_remembered_hidden_month_is_found():
    """BO01 x's January cell left the copy, remembered as hidden: the episode's transition
    then names a hidden month, as if the cell were still there."""
    con = copy()
    con.execute("insert into alert_transitions values (3, 'E1', date '2026-01-01', 'x', 'ny')")
    con.execute("delete from fct_area_indicator_month where period = date '2026-01-01'")
    assert _episode_checks(con) == []  # no cell, nothing hidden: as a quarterly series
    con.execute("""create table remembered_cells as select 'BO01' as area_id,
        date '2026-01-01' as period, 'x' as indicator_id, null::double as numerator,
        null::double as denominator, true as suppressed""")
    assert _episode_checks(con) == ["episode E1 2026-01 shows a hidden cell"]
