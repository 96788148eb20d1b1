import os

import dagster as dg

from orchestration.defs.automation import landing_sensor
from orchestration.resources import KvarterStorage
from sources.employment import BENEFITS
from sources.landing import delivery_path
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
