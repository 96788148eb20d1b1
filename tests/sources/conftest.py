"""Every CSV a test here reads also goes through the other read path, and must agree."""

import pytest

from sources import csv_fast
from tests.sources.csv_paths import assert_same_rows


@pytest.fixture(autouse=True)
def csv_paths_agree(monkeypatch):
    """A file the fast path takes must give the line loop's cells and line numbers."""
    fast_read = csv_fast.read

    def checked(path, raw, encoding, header, wanted):
        result = fast_read(path, raw, encoding, header, wanted)
        if result is not None:
            assert_same_rows(path, wanted, *result)
        return result

    monkeypatch.setattr(csv_fast, "read", checked)
