"""`kvarter run` never falls back to the synthetic sources; extracts retry only what is
transient."""

import dagster as dg
import duckdb
import pytest

from orchestration import cli, demo
from orchestration.defs import extract as extract_assets
from orchestration.resources import KvarterStorage, layout_defaults
from sources import cpr, health
from sources.readers import DeliveryError, SourceUnavailable


def test_run_without_source_addresses_fails_naming_them(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KVARTER_HEALTH_API_URL", raising=False)
    monkeypatch.delenv("KVARTER_HOUSING_DB_URL", raising=False)
    monkeypatch.setenv("KVARTER_DATA_DIR", str(tmp_path))
    for name in layout_defaults(tmp_path):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(demo, "synthetic_sources", pytest.fail)  # never served
    assert cli.main(["run"]) == 2
    assert (
        "KVARTER_HOUSING_DB_URL and KVARTER_HEALTH_API_URL are not set" in capsys.readouterr().err
    )
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing ran

    monkeypatch.setenv("KVARTER_HOUSING_DB_URL", "postgresql://bolig.example/boligsystem")
    assert cli.main(["run"]) == 2
    assert "KVARTER_HEALTH_API_URL is not set" in capsys.readouterr().err


def test_run_synthetic_serves_the_synthetic_sources(monkeypatch, tmp_path):
    monkeypatch.delenv("KVARTER_HEALTH_API_URL", raising=False)
    monkeypatch.delenv("KVARTER_HOUSING_DB_URL", raising=False)
    monkeypatch.setenv("KVARTER_DATA_DIR", str(tmp_path))
    for name in layout_defaults(tmp_path):
        monkeypatch.delenv(name, raising=False)
    served = []

    def run_pipeline(defs, storage, instance):
        served.append(storage)
        raise SystemExit(0)

    monkeypatch.setattr("orchestration.pipeline.run_pipeline", run_pipeline)
    with pytest.raises(SystemExit):
        cli.main(["run", "--synthetic"])
    [storage] = served
    assert storage.health_api_url.startswith("http://127.0.0.1:")
    assert storage.housing_db_url == f"sqlite:///{tmp_path}/landing/housing/boligsystem.sqlite"
    assert storage.warehouse_path == str(tmp_path / "warehouse.duckdb")


def test_the_layout_has_no_source_addresses(tmp_path):
    """A deployment names its source systems; only the demo defaults them."""
    assert set(layout_defaults(tmp_path)) == {
        "KVARTER_LANDING",
        "KVARTER_WAREHOUSE",
        "KVARTER_PUBLISHED",
        "KVARTER_OUTBOX",
        "KVARTER_CPR_KEY_FILE",
    }
    storage = KvarterStorage.under(tmp_path)
    assert storage.health_api_url == storage.housing_db_url == ""


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (SourceUnavailable("http://h/v1/rygestop?month=2025-03: timed out"), 2),
        (DeliveryError("http://h/v1/rygestop?month=2025-03: HTTP 404"), 1),
        (AssertionError("row accounting does not add up"), 1),
        (duckdb.IOException('IO Error: Could not set lock on file "w.duckdb": Conflict'), 2),
        (duckdb.IOException("IO Error: No space left on device"), 1),
    ],
)
def test_only_an_unavailable_source_is_retried(monkeypatch, tmp_path, error, attempts):
    monkeypatch.setattr(extract_assets, "RETRY_POLICY", dg.RetryPolicy(max_retries=1, delay=0))
    calls = []

    def failing(*args):
        calls.append(args)
        raise error

    monkeypatch.setattr(extract_assets, "extract_periods", failing)
    asset = extract_assets.build_extract_asset(health.SMOKING_CESSATION)
    result = dg.materialize(
        [asset],
        partition_key="2025-03-01",
        resources={"storage": KvarterStorage.under(tmp_path)},
        raise_on_error=False,
    )
    assert not result.success
    assert len(calls) == attempts
    [failure] = [e for e in result.all_events if e.is_step_failure]
    cause = failure.step_failure_data.error
    while cause.cause is not None:
        cause = cause.cause
    assert str(error) in cause.message


def test_a_cpr_key_other_than_the_warehouses_fails_at_once(monkeypatch, tmp_path):
    """The key file was lost, and `load_key` made a new one; the warehouse's person keys
    were made with the old key. The step fails at once (no retry), naming the key file,
    and loads nothing."""
    monkeypatch.setattr(extract_assets, "RETRY_POLICY", dg.RetryPolicy(max_retries=1, delay=0))
    monkeypatch.delenv(cpr.KEY_ENV, raising=False)
    monkeypatch.delenv(cpr.KEY_FILE_ENV, raising=False)
    storage = KvarterStorage.under(tmp_path)
    with storage.connect() as con:
        con.execute("create schema raw")
        cpr.check_key(con, b"the key of the first load", "the old key file")
    asset = extract_assets.build_extract_asset(health.SMOKING_CESSATION)
    result = dg.materialize(
        [asset], partition_key="2025-03-01", resources={"storage": storage}, raise_on_error=False
    )
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert (
        f"the CPR key from the key file {storage.cpr_key_file} is not the key the warehouse's"
        in failure.step_failure_data.error.message
    )
    with storage.connect(read_only=True) as con:
        assert con.execute("select count(*) from raw.health__smoking_cessation").fetchone() == (0,)


def test_every_extract_asset_has_the_retry_policy():
    for asset in extract_assets.extract_assets:
        assert asset.op.retry_policy == extract_assets.RETRY_POLICY


def test_run_names_the_landing_folders_it_does_not_read(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KVARTER_DATA_DIR", str(tmp_path))
    for name in layout_defaults(tmp_path):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "landing" / "employment" / "2025-13"
    folder.mkdir(parents=True)
    (folder / "ydelser.csv").write_text("x")

    def run_pipeline(defs, storage, instance):
        raise SystemExit(0)

    monkeypatch.setattr("orchestration.pipeline.run_pipeline", run_pipeline)
    with pytest.raises(SystemExit):
        cli.main(["run", "--synthetic"])
    assert capsys.readouterr().out == (
        f"kvarter run: warning: {folder}/ydelser.csv: not read: 2025-13 is not a month "
        "(YYYY-MM, month 01-12)\n"
    )
