"""Re-deliveries through the Dagster extract job: corrections replace, repeats change
nothing, broken files load nothing, and no CPR number reaches Dagster's events."""

import dagster as dg
import duckdb
import pytest

from orchestration.resources import KvarterStorage
from sources.employment import BENEFITS
from sources.landing import delivery_path
from tests import tiny_municipality as tiny

PARTITION = "2025-03-01"


@pytest.fixture
def extract(tmp_path, code_location, wire):
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)
    results = []
    instance = dg.DagsterInstance.ephemeral()
    with wire(storage) as storage:
        job = code_location.resolve_job_def("monthly_extract")

        def run():
            results.append(
                job.execute_in_process(
                    partition_key=PARTITION, raise_on_error=False, instance=instance
                )
            )
            return results[-1]

        yield storage, run, (results, instance)


def dump(storage):
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "order by table_name"
        ).fetchall()
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for (t,) in tables}


def test_a_corrected_delivery_replaces_the_month(extract):
    storage, run, _ = extract
    assert run().success
    assert len(dump(storage)["employment__benefits"]) == 12
    path = delivery_path(storage.landing, BENEFITS, tiny.PERIOD)
    header, *rows = path.read_bytes().decode("utf-8-sig").splitlines()
    path.write_bytes(("\r\n".join([header, *rows[:3]]) + "\r\n").encode("utf-8-sig"))
    assert run().success
    after = dump(storage)
    assert len(after["employment__benefits"]) == 3
    log = [r for r in after["deliveries"] if r[:2] == ("employment", "benefits")]
    assert [(r[4], r[5], r[6]) for r in log] == [(3, 3, 0)]


def test_extracting_the_same_delivery_twice_changes_nothing(extract):
    storage, run, _ = extract
    assert run().success
    before = dump(storage)
    assert run().success
    assert dump(storage) == before


def test_a_broken_file_fails_naming_it_and_loads_nothing_of_it(extract):
    storage, run, _ = extract
    assert run().success
    before = dump(storage)["employment__benefits"]
    path = delivery_path(storage.landing, BENEFITS, tiny.PERIOD)
    path.write_bytes(path.read_bytes().replace(b";", b","))  # wrong separator
    result = run()
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    while error.cause is not None:
        error = error.cause
    assert failure.step_key == "employment__benefits"
    assert "employment/2025-03/ydelser.csv: line 1 has one column; the separator must be ';'" in (
        error.message
    )
    assert dump(storage)["employment__benefits"] == before


def test_no_cpr_number_in_dagster_events_logs_or_metadata(extract):
    storage, run, (results, instance) = extract
    run()
    path = delivery_path(storage.landing, BENEFITS, tiny.PERIOD)
    path.write_bytes(path.read_bytes().replace(b"kontanthj", b"ukendt-ydelse-kontanthj"))
    run()  # quarantines rows whose lines carry CPR numbers
    path.write_bytes(path.read_bytes()[:-40])  # and a truncated file fails the run
    assert not run().success
    assert dump(storage)["quarantine"]
    numbers = set(tiny.ALL_CPR) | {n.replace("-", "") for n in tiny.ALL_CPR} | {tiny.INVALID_CPR}
    entries = [e for result in results for e in instance.all_logs(result.run_id)]
    text = " ".join(f"{e.user_message} {e.dagster_event}" for e in entries)
    assert "rows_quarantined" in text and "truncated" in text  # metadata and errors are in it
    assert not [n for n in numbers if n in text]
