"""Late monthly deliveries: a file missing past its source's due day is reported once."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.alerts import late_delivery_mail
from orchestration.resources import KvarterStorage
from signals.mail_queue import queued, read
from sources.deliveries_due import due_days, late_deliveries
from sources.employment import BENEFITS
from sources.landing import FILE_FORMATS, delivery_path
from sources.registry import MONTHLY
from tests import tiny_municipality as tiny


def test_a_missing_file_is_late_only_after_its_due_day(tmp_path):
    tiny.write(tmp_path)  # every monthly file of March 2025
    delivery_path(tmp_path, BENEFITS, tiny.PERIOD).unlink()
    assert late_deliveries(tmp_path, dt.date(2025, 4, 5), {}) == []  # due by the 5th
    assert late_deliveries(tmp_path, dt.date(2025, 4, 6), {}) == ["employment/benefits 2025-03"]
    later = {"employment/benefits": 10}
    assert late_deliveries(tmp_path, dt.date(2025, 4, 6), later) == []
    # In May, April's files are due: none was delivered.
    files = [c for c in MONTHLY if c.fmt in FILE_FORMATS]
    assert len(late_deliveries(tmp_path, dt.date(2025, 5, 6), {})) == len(files)


@pytest.mark.parametrize(
    ("setting", "error"),
    [("employment/pensions=3", "unknown file source"), ("employment/benefits=31", "1-28")],
)
def test_a_bad_due_day_setting_is_named(setting, error):
    with pytest.raises(ValueError, match=error):
        due_days(setting)
    assert due_days("employment/benefits=3, population/residents=4") == {
        "employment/benefits": 3,
        "population/residents": 4,
    }


def test_the_sensor_mails_each_late_delivery_once(tmp_path, monkeypatch):
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)
    delivery_path(storage.landing, BENEFITS, tiny.PERIOD).unlink()
    monkeypatch.delenv("KVARTER_SMTP_HOST", raising=False)  # the outbox keeps it
    monkeypatch.setenv("KVARTER_DATA_TEAM_MAIL", "data@k.example")

    class April6(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2025, 4, 6)

    monkeypatch.setattr("orchestration.defs.alerts.dt.date", April6)
    context = dg.build_sensor_context(resources={"storage": storage})
    late_delivery_mail(context)
    [mail] = [read(p) for p in queued(Path(storage.outbox_dir))]
    assert mail["To"] == "data@k.example"
    assert "employment/benefits 2025-03" in mail.get_content()
    late_delivery_mail(context)  # the cursor remembers it: nothing new
    assert len(queued(Path(storage.outbox_dir))) == 1


def test_a_whole_month_late_is_mailed_under_a_short_key(tmp_path, monkeypatch):
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)  # March only: in May every April file is late
    monkeypatch.delenv("KVARTER_SMTP_HOST", raising=False)

    class May6(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2025, 5, 6)

    monkeypatch.setattr("orchestration.defs.alerts.dt.date", May6)
    late_delivery_mail(dg.build_sensor_context(resources={"storage": storage}))
    [path] = queued(Path(storage.outbox_dir))
    files = [c for c in MONTHLY if c.fmt in FILE_FORMATS]
    assert path.name.startswith(f"late-2025-05-06-{len(files)}-") and len(path.name) < 40
    assert read(path).get_content().count(" 2025-04\n") == len(files)
