"""The publish step swaps in a staged copy only when the disclosure audit passes."""

import duckdb
import pandas as pd
import pytest

import orchestration.defs.publish as publish_assets
from orchestration.defs.publish import PUBLISHED_TABLES, DisclosureError, publish
from quality.disclosure_audit import AuditReport, Exposure


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for source in PUBLISHED_TABLES.values():
            schema, _ = source.split(".")
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {source} as select 1 as x")
    return path


def test_a_copy_that_fails_the_audit_is_never_published(warehouse, tmp_path, monkeypatch):
    target = tmp_path / "published" / "kvarter.duckdb"
    target.parent.mkdir()
    target.write_bytes(b"the copy readers have now")
    failing = AuditReport(protection_level=5, exposures=[Exposure("x A 2025-03 numerator", 3, 3)])
    monkeypatch.setattr(publish_assets, "audit_published", lambda path: failing)
    with pytest.raises(DisclosureError, match=r"x A 2025-03 numerator in \[3, 3\]"):
        publish(warehouse, target)
    assert target.read_bytes() == b"the copy readers have now"
    assert list(target.parent.iterdir()) == [target]  # the staged copy is gone


def test_a_copy_that_passes_replaces_the_old_one(warehouse, tmp_path, monkeypatch):
    target = tmp_path / "published" / "kvarter.duckdb"
    monkeypatch.setattr(
        publish_assets, "audit_published", lambda path: AuditReport(protection_level=5)
    )
    counts, report = publish(warehouse, target)
    assert report.passed
    assert counts == dict.fromkeys(PUBLISHED_TABLES, 1)
    with duckdb.connect(str(target), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
    assert tables == set(PUBLISHED_TABLES)
    # The same tables as Parquet beside the copy, for analysts' tools.
    parquet = target.parent / "parquet"
    assert sorted(p.name for p in parquet.iterdir()) == sorted(
        f"{name}.parquet" for name in PUBLISHED_TABLES
    )
    assert pd.read_parquet(parquet / "dim_area.parquet").to_dict("records") == [{"x": 1}]
