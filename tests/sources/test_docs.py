from pathlib import Path

from sources.docs import render, render_dbt_sources
from sources.registry import ALL_CONTRACTS


def test_committed_source_docs_match_the_contracts():
    committed = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text()
    assert committed == render(), "run: .venv/bin/python -m sources.docs > docs/sources.md"
    for contract in ALL_CONTRACTS:
        assert f"`raw.{contract.table}`" in committed


def test_committed_dbt_sources_match_the_contracts():
    committed = Path(__file__).resolve().parents[2] / "dbt_project/models/staging/_sources.yml"
    assert committed.read_text() == render_dbt_sources(), (
        "run: .venv/bin/python -m sources.docs dbt > dbt_project/models/staging/_sources.yml"
    )
