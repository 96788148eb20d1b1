import os

import dagster as dg

from orchestration.defs.automation import landing_sensor
from orchestration.partitions import skipped_folders
from orchestration.pipeline import delivered_range
from orchestration.resources import KvarterStorage
from sources.employment import BENEFITS
from sources.landing import delivery_path
from sources.registry import MONTHLY
from tests import tiny_municipality as tiny


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
