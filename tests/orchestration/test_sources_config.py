"""`kvarter run` never falls back to the synthetic sources; extracts retry only what is
transient."""

import dagster as dg
import pytest

from orchestration import cli, extract_assets
from orchestration.resources import KvarterStorage
from sources import health
from sources.health import SourceUnavailable
from sources.readers import DeliveryError


def test_run_without_a_health_api_url_fails_naming_the_setting(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KVARTER_HEALTH_API_URL", raising=False)
    monkeypatch.setenv("KVARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "_synthetic_health_api", pytest.fail)  # never served
    assert cli.main(["run"]) == 2
    assert "KVARTER_HEALTH_API_URL is not set" in capsys.readouterr().err
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing ran


def test_run_synthetic_serves_the_synthetic_api(monkeypatch, tmp_path):
    monkeypatch.delenv("KVARTER_HEALTH_API_URL", raising=False)
    monkeypatch.setenv("KVARTER_DATA_DIR", str(tmp_path))
    served = []

    def run_pipeline(defs, storage, instance):
        served.append(storage.health_api_url)
        raise SystemExit(0)

    monkeypatch.setattr("orchestration.pipeline.run_pipeline", run_pipeline)
    with pytest.raises(SystemExit):
        cli.main(["run", "--synthetic"])
    assert served and served[0].startswith("http://127.0.0.1:")


def test_storage_has_no_default_health_api(monkeypatch):
    monkeypatch.delenv("KVARTER_HEALTH_API_URL", raising=False)
    assert KvarterStorage.from_env().health_api_url == ""


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (SourceUnavailable("http://h/v1/rygestop?month=2025-03: timed out"), 2),
        (DeliveryError("http://h/v1/rygestop?month=2025-03: HTTP 404"), 1),
        (AssertionError("row accounting does not add up"), 1),
    ],
)
def test_only_an_unavailable_source_is_retried(monkeypatch, tmp_path, error, attempts):
    monkeypatch.setattr(extract_assets, "RETRY_POLICY", dg.RetryPolicy(max_retries=1, delay=0))
    calls = []

    def failing(*args):
        calls.append(args)
        raise error

    monkeypatch.setattr(extract_assets, "extract_period", failing)
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


def test_every_extract_asset_has_the_retry_policy():
    for asset in extract_assets.extract_assets:
        assert asset.op.retry_policy == extract_assets.RETRY_POLICY
