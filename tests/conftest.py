"""Shared fixtures: the code location as Dagster loads it, and storage wired into it.

The code location's storage resource reads its paths and source addresses from the
environment when a run starts; `wired` points them at a test's own folder and at the
synthetic health API and housing database of that folder's landing zone.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest

from orchestration.definitions import defs as load_code_location
from orchestration.resources import KvarterStorage
from sources.synthetic.health_api import serve
from sources.synthetic.layout import housing_db_url

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end runs (tests/e2e) and real-browser tests are `slow`."""
    for item in items:
        if "e2e" in item.path.parts or item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def code_location() -> dg.Definitions:
    return load_code_location()


@contextmanager
def wired(storage: KvarterStorage) -> Iterator[KvarterStorage]:
    """`storage` serving its landing zone's synthetic sources, set as the environment the
    code location's resource reads, for the duration."""
    with serve(storage.landing) as url, pytest.MonkeyPatch.context() as env:
        live = KvarterStorage(
            **{
                **storage.model_dump(),
                "health_api_url": url,
                "housing_db_url": housing_db_url(storage.landing),
            }
        )
        for name, value in live.environment().items():
            env.setenv(name, value)
        yield live


@pytest.fixture(scope="session")
def wire():
    """`wired`, for fixtures of any scope: `with wire(storage) as live: ...`."""
    return wired


from tests.smtp_server import certificate, smtp_server  # noqa: E402, F401 - fixtures
