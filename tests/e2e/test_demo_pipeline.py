"""The demo municipality end to end through Dagster: the injected area alarms, no other."""

import datetime as dt
import json
import re
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import duckdb
import pytest

from orchestration.partitions import month_range_tags, partition_key
from orchestration.pipeline import run_pipeline, yearly_runs
from orchestration.resources import KvarterStorage
from quality.disclosure_audit import audit_published
from sources.synthetic.municipality import generate


@pytest.fixture(scope="module")
def demo(tmp_path_factory, code_location, wire):
    storage = KvarterStorage.under(tmp_path_factory.mktemp("demo"))
    generate(storage.landing, seed=42)
    with wire(storage) as storage:
        yield storage, code_location, run_pipeline(code_location, storage)


def outbox(storage):
    """Queued digests (no SMTP server in the demo: the outbox keeps them)."""
    return {p.name: p.read_bytes() for p in Path(storage.outbox_dir).glob("*.eml")}


def texts(raw: bytes) -> str:
    """The decoded text and HTML parts of a message (the raw bytes may be base64)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    return "\n".join(
        part.get_content() for part in msg.walk() if part.get_content_maintype() == "text"
    )


def marts(storage):
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        return (
            con.execute("select * from marts.fct_area_indicator_month order by all").fetchall(),
            con.execute("select * from signals.area_signals order by all").fetchall(),
        )


def test_demo_alerts_the_injected_area_and_no_other(demo):
    storage, _, run = demo
    assert run.success and len(run.extracts) == 2  # monthly and yearly extracts
    truth = json.loads((storage.landing / "ground_truth.json").read_text())
    [injection] = truth["injections"]
    area, indicator = injection["area_id"], injection["indicator_id"]
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        alarms = con.execute(
            "select area_id, indicator_id, method, cast(episode_start as date) "
            "from signals.area_signals "
            "where severity = 'alarm' order by all"
        ).fetchall()
        watches = con.execute(
            "select count(*) from signals.area_signals where severity = 'watch'"
        ).fetchall()[0][0]
    # People losing their jobs also raise the benefit FTE of all public benefits: the
    # injected area alarms on both, from the injected month, and no other series alarms.
    began = dt.date.fromisoformat(injection["start_period"])
    assert alarms == [
        (area, "emp_benefit_fte", "glr", began),
        (area, indicator, "glr", began),
    ]
    assert watches <= 2  # of some 250 series; watches are not mailed
    # Both episodes go to the employment department, in one digest for the last month.
    [raw] = outbox(storage).values()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["To"] == "jobcenter-data@kommune.example"
    assert msg["Subject"] == "Kvarterprofil, tidlig varsling december 2025: 2 nye"
    text = msg.get_body("plain").get_content()
    assert f"(episode {area}-emp_benefit_fte-op-2025-12)" in text
    assert f"(episode {area}-{indicator}-op-2025-12)" in text
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        episodes = con.execute(
            "select area_id, indicator_id, state, onset from alerts.episodes order by all"
        ).fetchall()
    assert episodes == [
        (area, "emp_benefit_fte", "ny", began),
        (area, indicator, "ny", began),
    ]


def test_published_copy_holds_only_published_tables(demo):
    storage, *_ = demo
    with duckdb.connect(storage.published_path, read_only=True) as con:
        tables = {
            t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()
        }
        assert tables == {
            "fct_area_indicator_month",
            "dim_area",
            "area_geometry",
            "dim_housing_department",
            "statutory_criteria",
            "statutory_thresholds",
            "kvarterprofil",
            "indicator_catalogue",
            "disclosure_rules",
            "disclosure_relations",
            "disclosure_stock_flows",
            "signals",
            "alert_episodes",
            "alert_transitions",
            "remembered_cells",
        }
        assert con.execute("select count(*) from remembered_cells").fetchall() == [(0,)]
        assert con.execute("select count(*) from fct_area_indicator_month").fetchall()[0][0] > 500
        # Every indicator of the catalogue is in the published fact.
        catalogue, fact = (
            {i for (i,) in con.execute(f"select distinct indicator_id from {t}").fetchall()}
            for t in ("indicator_catalogue", "fct_area_indicator_month")
        )
        assert fact == catalogue and len(catalogue) == 27


def test_the_published_copy_passes_the_disclosure_audit(demo):
    storage, *_ = demo
    report = audit_published(storage.published_path)
    assert report.passed, [str(e) for e in report.exposures] + report.inconsistencies
    # Hidden cells and the latent monthly counts of the rolling windows were all solved.
    assert report.hidden_quantities > 1000


def test_the_next_audit_of_the_same_cells_in_another_row_order_reuses_every_block(
    demo, tmp_path
):
    storage, *_ = demo
    memo = tmp_path / "audit.npz"
    first = audit_published(storage.published_path, memo=memo)
    assert first.passed and first.blocks_reused == 0
    shuffled = tmp_path / "kvarter.duckdb"
    shutil.copy(storage.published_path, shuffled)
    with duckdb.connect(str(shuffled)) as con:
        for table in ("fct_area_indicator_month", "disclosure_relations", "dim_area"):
            con.execute(f"create or replace table {table} as from {table} order by random()")
    again = audit_published(shuffled, memo=memo)
    assert (again.passed, again.exactly_solved) == (True, 0)
    assert again.blocks_reused > 100


def test_a_yearly_source_delivered_before_the_other_is_extracted_alone(demo, tmp_path, wire):
    # The national statistics of 2026 arrive in January, the exams after June: a run of
    # both over 2024-2026 failed the exams' step, and stopped the refresh, until then.
    storage, code_location, _ = demo
    copy = KvarterStorage.under(tmp_path)
    shutil.copytree(storage.landing, copy.landing)
    shutil.copy(storage.warehouse_path, copy.warehouse_path)
    shutil.copy(storage.cpr_key_file, copy.cpr_key_file)
    shutil.copytree(copy.landing / "national" / "2025", copy.landing / "national" / "2026")
    with wire(copy) as live:
        runs = yearly_runs(live)
        assert [(span, [k.to_user_string() for k in keys]) for span, keys in runs] == [
            ((dt.date(2024, 1, 1), dt.date(2025, 1, 1)), ["children_youth/grade9_exams"]),
            ((dt.date(2024, 1, 1), dt.date(2026, 1, 1)), ["national/area_statistics"]),
        ]
        for (first, last), keys in runs:
            result = code_location.resolve_job_def("yearly_extract").execute_in_process(
                tags=month_range_tags(partition_key(first), partition_key(last)),
                asset_selection=keys,
            )
            assert result.success
    with duckdb.connect(copy.warehouse_path, read_only=True) as con:
        [(years,)] = con.execute(
            "select count(distinct period) from raw.national__area_statistics"
        ).fetchall()
    assert years == 3


def test_the_audit_catches_a_value_shown_behind_a_hidden_cell(demo, tmp_path):
    storage, *_ = demo
    copy = tmp_path / "kvarter.duckdb"
    shutil.copy(storage.published_path, copy)
    with duckdb.connect(str(copy)) as con:
        area, period = con.execute(
            "select area_id, period from fct_area_indicator_month "
            "where indicator_id = 'stat_conviction_ratio' and suppressed "
            "order by area_id, period limit 1"
        ).fetchone()
        con.execute(
            "update statutory_criteria set c2_conviction_ratio = 1 "
            "where area_id = ? and list_year = ?",
            [area, period.year],
        )
        # The distance alone gives the value away too (value less threshold).
        distance_area, distance_period = con.execute(
            "select area_id, period from fct_area_indicator_month "
            "where indicator_id = 'stat_conviction_ratio' and suppressed and area_id != ? "
            "order by area_id, period limit 1",
            [area],
        ).fetchone()
        con.execute(  # and its flag, which bounds it from one side
            "update statutory_criteria set c2_distance = -1.5, c2_met = false "
            "where area_id = ? and list_year = ?",
            [distance_area, distance_period.year],
        )
        hidden_area, hidden_month = con.execute(
            "select area_id, period from fct_area_indicator_month "
            "where indicator_id = 'hou_vacancy' and suppressed "
            "order by period, area_id limit 1"
        ).fetchone()
        con.execute(
            "update kvarterprofil set hou_vacancy = 0.5 where area_id = ? and period = ?",
            [hidden_area, hidden_month],
        )
        con.execute(
            "insert into signals values (?, 'hou_vacancy', ?, 'alarm', ?)",
            [hidden_area, hidden_month, hidden_month],
        )
        con.execute(
            "insert into alert_episodes values ('E-hidden', ?, 'hou_vacancy', 'ny', ?, ?, null)",
            [hidden_area, hidden_month, hidden_month],
        )
        # A preliminary list year's criterion 1 beside a hidden month behind it.
        [(first_area,)] = con.execute(
            "select min(area_id) from statutory_criteria where preliminary"
        ).fetchall()
        con.execute(
            "update fct_area_indicator_month set suppressed = true where area_id = ? "
            "and indicator_id = 'emp_outside_work_edu' and period = date '2025-06-01'",
            [first_area],
        )
        con.execute(  # value and flag withheld, but a count made of them left
            "update statutory_criteria set c1_outside_work_edu = null, c1_distance = null,"
            " c1_met = null, criteria_unknown = 4, forebyggelse_criteria_met = 1"
            " where area_id = ? and preliminary",
            [first_area],
        )
        # A signal of a published month whose episode started in a hidden one.
        onset_area, indicator, onset, shown = con.execute(
            "select h.area_id, h.indicator_id, h.period, max(p.period) "
            "from fct_area_indicator_month as h inner join fct_area_indicator_month as p "
            "on h.area_id = p.area_id and h.indicator_id = p.indicator_id "
            "and p.period > h.period and not p.suppressed "
            "where h.suppressed and h.area_id not in ('outside', 'municipality') "
            "group by all order by 1, 2, 3 limit 1"
        ).fetchone()
        con.execute(
            "insert into signals values (?, ?, ?, 'watch', ?)",
            [onset_area, indicator, shown, onset],
        )
    report = audit_published(copy)
    assert (
        f"signal {indicator} {onset_area} {onset:%Y-%m} shows a hidden cell"
        in report.inconsistencies
    )
    assert f"signal {indicator} {onset_area} {shown:%Y-%m} shows" not in str(
        report.inconsistencies
    )
    assert f"statutory c2_conviction_ratio {area} {period.year} shows a hidden cell" in (
        report.inconsistencies
    )
    assert (
        f"statutory c2_conviction_ratio {distance_area} {distance_period.year} shows a hidden"
        " cell" in report.inconsistencies
    )
    assert (
        f"statutory c2_met {distance_area} {distance_period.year} does not follow from the"
        " values shown" in report.inconsistencies
    )
    assert (
        f"statutory forebyggelse_criteria_met {first_area} 2026 does not follow from the"
        " values shown" in report.inconsistencies
    )
    assert f"statutory c1_outside_work_edu {first_area} 2026" not in str(report.inconsistencies)
    assert (
        f"kvarterprofil hou_vacancy {hidden_area} {hidden_month:%Y-%m} shows a hidden cell"
        in report.inconsistencies
    )
    assert (
        f"signal hou_vacancy {hidden_area} {hidden_month:%Y-%m} shows a hidden cell"
        in report.inconsistencies
    )
    assert f"episode E-hidden {hidden_month:%Y-%m} shows a hidden cell" in report.inconsistencies
    assert not report.passed


def test_no_generated_cpr_number_in_warehouse_published_copy_or_mail(demo):
    storage, *_ = demo
    numbers = set((storage.landing / "cpr_numbers.txt").read_text().split())
    numbers |= {n.replace("-", "") for n in numbers}
    assert len(numbers) > 10_000
    pattern = re.compile(r"\d{6}-?\d{4}")
    for path in (storage.warehouse_path, storage.published_path):
        with duckdb.connect(path, read_only=True) as con:
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall():
                rows = con.execute(f'select * from "{schema}"."{table}"').fetchall()
                assert not set(pattern.findall(" ".join(map(str, rows)))) & numbers, (schema, table)
    for raw in outbox(storage).values():
        assert not set(pattern.findall(texts(raw))) & numbers


def test_a_second_run_changes_nothing(demo):
    storage, defs, _ = demo
    before, emails_before = marts(storage), outbox(storage)
    again = run_pipeline(defs, storage)
    assert again.success
    assert marts(storage) == before
    assert outbox(storage) == emails_before


def test_published_statutory_values_never_undo_the_facts_suppression(demo):
    """A criterion shown in statutory_criteria equals the published fact cell it comes
    from; where that cell is suppressed, the criterion is withheld and named."""
    storage, *_ = demo
    with duckdb.connect(storage.published_path, read_only=True) as con:
        rows = con.execute(
            """
            select s.area_id, s.list_year, s.c3_basic_education, s.c4_income_ratio,
                   s.withheld_values, b.value, b.suppressed, i.value, i.suppressed
            from statutory_criteria as s
            left join fct_area_indicator_month as b
                on b.area_id = s.area_id and b.indicator_id = 'stat_basic_education'
                and b.period = make_date(s.list_year, 1, 1)
            left join fct_area_indicator_month as i
                on i.area_id = s.area_id and i.indicator_id = 'stat_income_ratio'
                and i.period = make_date(s.list_year, 1, 1)
            where not s.preliminary  -- no national file: criteria 3 and 4 unknown, not withheld
            """
        ).fetchall()
    assert rows
    for area, year, c3, c4, withheld, c3_fact, c3_hidden, c4_fact, c4_hidden in rows:
        for value, fact, hidden, name in (
            (c3, c3_fact, c3_hidden, "c3_basic_education"),
            (c4, c4_fact, c4_hidden, "c4_income_ratio"),
        ):
            if hidden or hidden is None:
                assert value is None and name in (withheld or ""), (area, year, name)
            else:
                assert value == pytest.approx(fact), (area, year, name)


def test_published_statutory_lists_follow_the_reference_years_and_agree(demo):
    """The demo has 24 months (2024-2025) and national files for 2024 and 2025: criterion 1
    (calendar years Y-2 and Y-1) is unknown in both list years, criterion 2 (files Y-1 and
    Y) only in 2024, and where its value is withheld (a hidden conviction cell behind it).
    List year 2026 has no file but its 24 months: preliminary, criterion 1 alone known.
    Unknown is null, never "not met", and the flags and the classification name one list
    per area."""
    storage, *_ = demo
    with duckdb.connect(storage.published_path, read_only=True) as con:
        rows = con.execute(
            """
            select list_year, c1_met, c2_met, c3_met, c4_met, criteria_met, criteria_unknown,
                   has_min_residents, is_udsat, is_parallelsamfund, is_omdannelsesomraade,
                   is_forebyggelsesomraade, classification, withheld_values
            from statutory_criteria where not preliminary order by area_id, list_year
            """
        ).fetchall()
        preliminary = con.execute(
            """
            select area_id, list_year, c1_met is not null and c1_outside_work_edu is not null,
                   criteria_unknown, c2_met, c3_met, c4_met, residents_1_january, classification
            from statutory_criteria where preliminary order by area_id
            """
        ).fetchall()
        areas = con.execute(
            "select area_id from dim_area where area_level = 'area' order by area_id"
        ).fetchall()
    # Criterion 1 known and shown (no month of it is hidden in the demo), the rest unknown.
    assert [(a, 2026, True, 3, None, None, None, None, "ukendt") for (a,) in areas] == preliminary
    assert {r[0] for r in rows} == {2024, 2025}
    expected = {
        "omdannelsesområde": (True, True, True, False),
        "parallelsamfund": (True, True, False, False),
        "udsat boligområde": (True, False, False, False),
        "forebyggelsesområde": (False, False, False, True),
    }
    withheld = 0
    for year, c1, c2, c3, c4, met, unknown, big, udsat, par, omd, fore, label, hidden in rows:
        assert c1 is None
        c2_withheld = "c2_conviction_ratio" in (hidden or "")
        withheld += c2_withheld
        assert (c2 is None) == (year == 2024 or c2_withheld)
        flags = (c1, c2, c3, c4)
        assert met == sum(f is True for f in flags) and unknown == sum(f is None for f in flags)
        assert not (udsat and fore)  # an udsat area is never a forebyggelsesområde
        if label in expected:
            assert (udsat, par, omd, fore) == expected[label]
        elif label == "ingen":
            assert udsat is False and fore is False
        else:
            assert label == "ukendt"
            assert None in (udsat, par, omd, fore)
        if big and met >= 2:
            assert udsat is True
        if big is False:
            assert udsat is False and label == "ingen"
    assert withheld == 4  # 2025's conviction ratios of BO01, BO04, BO05, BO06: hidden cells
