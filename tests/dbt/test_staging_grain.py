"""The staging views add no rows to their raw table, so the key the extract checks in every
period it loads (the contract suite, `gx_contract_suite`) is their grain too, and dbt need
not test it again (models/staging/_staging.yml)."""

import json
import re
from pathlib import Path

import duckdb

from sources.registry import ALL_CONTRACTS
from sources.warehouse import create_raw_tables

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
SOURCE = re.compile(r"\{\{\s*source\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)\s*\}\}")
# What could give a view more rows than its one source has.
ROW_MAKERS = re.compile(r"\b(join|union|unnest|generate_series|lateral)\b", re.IGNORECASE)


def grain_problems(model: dict, contract, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Why `model` (a manifest node) might not keep the contract's (period, key) unique."""
    own_source = f"source.kvarter.{contract.system}.{contract.entity}"
    problems = []
    if model["depends_on"]["nodes"] != [own_source]:
        problems.append(f"reads {model['depends_on']['nodes']}, not only {own_source}")
    if model["config"]["materialized"] != "view":
        problems.append(f"is a {model['config']['materialized']}, not a view")
    if found := ROW_MAKERS.search(model["raw_code"]):
        problems.append(f"uses {found[0]!r}")
    sql = SOURCE.sub(lambda m: f"raw.{m[1]}__{m[2]}", model["raw_code"])
    columns = {name for name, *_ in con.execute(f"describe {sql}").fetchall()}
    if missing := {"period", *contract.key} - columns:
        problems.append(f"drops the key column(s) {sorted(missing)}")
    return problems


def test_every_staging_view_keeps_its_raw_tables_key():
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    with duckdb.connect() as con:
        create_raw_tables(con, ALL_CONTRACTS)
        for contract in ALL_CONTRACTS:
            model = models[f"stg_{contract.table}"]
            assert grain_problems(model, contract, con) == [], model["name"]


def test_a_view_that_could_add_rows_is_named():
    [contract] = [c for c in ALL_CONTRACTS if c.table == "population__residents"]
    own = {
        "depends_on": {"nodes": ["source.kvarter.population.residents"]},
        "config": {"materialized": "view"},
        "raw_code": "select period, person_key, address_id, move_in_date\n"
        "from {{ source('population', 'residents') }}",
    }
    joined = {
        **own,
        "depends_on": {"nodes": [*own["depends_on"]["nodes"], "model.kvarter.x"]},
        "raw_code": "select r.period, r.person_key, r.address_id from "
        "{{ source('population', 'residents') }} as r\nJOIN x on true",
    }
    with duckdb.connect() as con:
        create_raw_tables(con, ALL_CONTRACTS)
        con.execute("create table x (a int)")
        assert grain_problems(own, contract, con) == []
        assert grain_problems(joined, contract, con) == [
            "reads ['source.kvarter.population.residents', 'model.kvarter.x'], not only "
            "source.kvarter.population.residents",
            "uses 'JOIN'",
            "drops the key column(s) ['move_in_date']",
        ]
