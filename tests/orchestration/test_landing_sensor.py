import os
import sqlite3

import dagster as dg
import pytest

from orchestration.defs import automation
from orchestration.defs import extract as extract_assets
from orchestration.defs.automation import landing_sensor
from orchestration.partitions import skipped_folders
from orchestration.pipeline import delivered_range
from orchestration.resources import KvarterStorage
from sources import cpr, housing, readers
from sources.employment import BENEFITS
from sources.landing import delivery_path
from sources.registry import MONTHLY
from tests import tiny_municipality as tiny


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def evaluate(storage, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"storage": storage})
    requests = list(landing_sensor(context))
    return requests, context.cursor


def test_new_and_replaced_deliveries_request_an_extract(tmp_path):
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)

    requests, cursor = evaluate(storage)
    assert [(r.job_name, r.partition_key, r.tags["kvarter/reason"]) for r in requests] == [
        ("monthly_extract", "2025-03-01", "new delivery")
    ]
    assert evaluate(storage, cursor)[0] == []  # nothing changed

    path = delivery_path(storage.landing, BENEFITS, tiny.PERIOD)
    path.write_bytes(path.read_bytes() + b"")  # same bytes, new mtime: a re-delivery
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    requests, cursor = evaluate(storage, cursor)
    assert [(r.partition_key, r.tags["kvarter/reason"]) for r in requests] == [
        ("2025-03-01", "restatement")
    ]
    assert requests[0].run_key.startswith("monthly/2025-03-01:")

    (storage.landing / "national" / "2025").mkdir(parents=True)
    (storage.landing / "national" / "2025" / "boligomraader.csv").write_text("x")
    requests, _ = evaluate(storage, cursor)
    assert [(r.job_name, r.partition_key) for r in requests] == [("yearly_extract", "2025-01-01")]
    # Only the yearly source delivered (the exams come after June); a month's are all.
    assert requests[0].asset_selection == [dg.AssetKey(["national", "area_statistics"])]
    assert evaluate(storage)[0][0].asset_selection is None


def test_a_folder_not_read_is_named_and_the_other_periods_still_extracted(tmp_path):
    """'2025-13' is no month and 2020-12 is before the first partition: each would fail
    every tick and every extract step of a run over the delivered range."""
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)
    for folder in ("2025-13", "2020-12"):
        (storage.landing / "employment" / folder).mkdir()
        (storage.landing / "employment" / folder / "ydelser.csv").write_text("x")
    employment = storage.landing / "employment"
    not_read = [
        f"{employment}/2020-12/ydelser.csv: not read: 2020-12 is before the first period, "
        "2021-01 (KVARTER_FIRST_MONTH)",
        f"{employment}/2025-13/ydelser.csv: not read: 2025-13 is not a month (YYYY-MM, "
        "month 01-12)",
    ]

    requests, cursor = evaluate(storage)
    assert [(r.job_name, r.partition_key) for r in requests] == [("monthly_extract", "2025-03-01")]
    [skip] = evaluate(storage, cursor)[0]  # nothing new: the tick says why it skips them
    assert isinstance(skip, dg.SkipReason)
    assert skip.skip_message == "; ".join(not_read)

    assert delivered_range(storage, MONTHLY) == (tiny.PERIOD, tiny.PERIOD)
    assert skipped_folders(storage.landing) == not_read


def run_tenancies(instance, storage, partition_key, tags, locked: bool) -> bool:
    """The housing extract of a partition as a `monthly_extract` run, with a writer holding
    the housing database locked or not; whether the run succeeded."""
    asset = extract_assets.build_extract_asset(housing.TENANCIES)
    job = dg.Definitions(
        assets=[asset],
        jobs=[dg.define_asset_job("monthly_extract", selection=[asset.key])],
        resources={"storage": storage},
    ).resolve_job_def("monthly_extract")
    writer = sqlite3.connect(
        storage.housing_db_url.removeprefix("sqlite:///"), isolation_level=None
    )
    if locked:
        writer.execute("begin exclusive")
    try:
        result = job.execute_in_process(
            partition_key=partition_key, tags=tags, instance=instance, raise_on_error=False
        )
    finally:
        writer.close()
    return result.success


def retries(instance) -> list[dg.RunRequest]:
    return list(automation.retry_transient_extracts(dg.build_sensor_context(instance=instance)))


@pytest.fixture
def housing_storage(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "SQLITE_BUSY_SECONDS", 0.05)
    monkeypatch.setattr(extract_assets, "RETRY_POLICY", dg.RetryPolicy(max_retries=1, delay=0))
    storage = KvarterStorage.under(
        tmp_path, housing_db_url=f"sqlite:///{tmp_path / 'landing' / tiny.HOUSING_DB}"
    )
    tiny.write(storage.landing)
    return storage


def test_a_run_failed_for_a_transient_reason_is_run_again_later(
    monkeypatch, instance, housing_storage
):
    """The scheduled month's housing database locked through the step's retries: the run is
    asked for again once RETRY_AFTER has passed, up to MAX_RUNS failures in a row; a run
    that succeeds ends it."""
    monkeypatch.delenv(cpr.KEY_ENV, raising=False)
    assert not run_tenancies(instance, housing_storage, "2025-03-01", {}, locked=True)
    assert retries(instance) == []  # not an hour yet
    monkeypatch.setattr(automation, "RETRY_AFTER", automation.dt.timedelta(0))
    for attempt in (2, 3):
        [again] = retries(instance)
        [failed] = instance.get_runs(limit=1)
        assert (again.job_name, again.partition_key, again.run_key) == (
            "monthly_extract",
            "2025-03-01",
            f"retry:{failed.run_id}",
        )
        assert again.tags == {
            "kvarter/reason": f"retry {attempt} of 3 after a transient failure ({failed.run_id})"
        }
        assert not run_tenancies(instance, housing_storage, "2025-03-01", again.tags, locked=True)
    assert retries(instance) == []  # three failures in a row: over to the data team

    monkeypatch.setattr(automation, "MAX_RUNS", 4)
    [fourth] = retries(instance)
    assert run_tenancies(instance, housing_storage, "2025-03-01", fourth.tags, locked=False)
    assert retries(instance) == []  # loaded


def test_a_run_failed_by_its_delivery_is_not_run_again(monkeypatch, instance, housing_storage):
    """A fault in the delivery (here a key other than the warehouse's) fails the same way
    until something changes: no retry."""
    monkeypatch.setattr(automation, "RETRY_AFTER", automation.dt.timedelta(0))
    monkeypatch.setenv(cpr.KEY_ENV, "abcdefgh" * 4)
    with housing_storage.connect() as con:
        con.execute("create schema raw")
        cpr.check_key(con, b"ijklmnop" * 4, "the old key")
    assert not run_tenancies(instance, housing_storage, "2025-03-01", {}, locked=False)
    assert retries(instance) == []
