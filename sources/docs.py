"""The source contracts as documents, generated from code: the Markdown reference
(docs/sources.md) and dbt's source declarations (dbt_project/models/staging/_sources.yml).

    .venv/bin/python -m sources.docs > docs/sources.md
    .venv/bin/python -m sources.docs dbt > dbt_project/models/staging/_sources.yml

A test keeps both committed files equal to this output.
"""

import sys
from itertools import groupby

import yaml

from sources.contracts import Contract
from sources.registry import ALL_CONTRACTS

SYSTEMS = {
    "population": "Population register (CPR extract).",
    "employment": "Job centre.",
    "children_youth": "Children and youth: schools, child welfare, SSP, daycare.",
    "housing": "Housing allocation system (SQL database).",
    "health": "Health and prevention (JSON API).",
    "national": "National statistics, yearly area aggregates.",
}
DBT_HEADER = """\
# Generated from the contracts (sources/<system>.py) by `python -m sources.docs dbt`;
# do not edit by hand. Each raw table maps to the extract asset of the same key, so
# lineage runs extract -> staging -> marts.
"""

FORMATS = {
    "csv": "Danish CSV (`;`, decimal comma, dd-mm-yyyy; UTF-8 with or without BOM, or cp1252)",
    "xlsx": "Excel workbook, first sheet, headers in row 1",
    "geojson": "GeoJSON FeatureCollection (EPSG:25832)",
    "sql": "SQL query through `$KVARTER_HOUSING_DB_URL`",
    "http": "JSON API under `$KVARTER_HEALTH_API_URL`, `?month=YYYY-MM`, paginated",
}


def _where(contract: Contract) -> str:
    if contract.fmt == "sql":
        return f"`{contract.source}`"
    if contract.fmt == "http":
        return f"`GET {contract.source}?month=YYYY-MM`"
    folder = "YYYY" if contract.cadence == "yearly" else "YYYY-MM"
    return f"`<landing>/{contract.system}/{folder}/{contract.source}`"


def _rule(column) -> str:
    parts = []
    if column.allowed:
        parts.append("one of " + ", ".join(f"`{a}`" for a in column.allowed))
    if column.minimum is not None:
        parts.append(f">= {column.minimum:g}")
    if column.maximum is not None:
        parts.append(f"<= {column.maximum:g}")
    if column.kind == "cpr":
        parts.append("valid CPR; stored as keyed HMAC pseudonym (uuid)")
    return "; ".join(parts)


def column_description(column) -> str:
    return column.description or f"source column {column.header}"


def render() -> str:
    lines = [
        "# Source contracts",
        "",
        "Generated from `sources/<system>.py` by `python -m sources.docs`; do not edit by hand.",
        "Every row read is loaded into `raw.<system>__<entity>` or quarantined in",
        "`raw.quarantine` with its line (or record number), column, value and reason.",
        "",
    ]
    system = None
    for contract in ALL_CONTRACTS:
        if contract.system != system:
            system = contract.system
            lines += [f"## {system}", "", SYSTEMS[system], ""]
        lines += [
            f"### {contract.entity} -> `raw.{contract.table}`",
            "",
            contract.description,
            "",
            f"- Format: {FORMATS[contract.fmt]}",
            f"- Delivery: {_where(contract)} ({contract.cadence})",
            f"- Key: {', '.join(f'`{k}`' for k in contract.key)} (duplicates are quarantined)",
            *[
                f"- Interval: `{i.start}` <= `{i.end}` (an empty end is open; a row ending "
                "before it starts is quarantined)"
                for i in contract.intervals
            ],
            "",
            "| source column | warehouse column | type | required | rule | description |",
            "|---|---|---|---|---|---|",
        ]
        for c in contract.columns:
            required = "no" if c.nullable else "yes"
            lines.append(
                f"| `{c.header}` | `{c.name}` | {c.kind} | {required} | {_rule(c)} | "
                f"{column_description(c)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _dbt_table(contract: Contract) -> dict:
    return {
        "name": contract.entity,
        "identifier": contract.table,
        "description": contract.description,
        "meta": {"dagster": {"asset_key": [contract.system, contract.entity]}},
        "columns": [
            {"name": c.name, "description": column_description(c)} for c in contract.columns
        ],
    }


def render_dbt_sources() -> str:
    sources = [
        {
            "name": system,
            "schema": "raw",
            "description": SYSTEMS[system],
            "tables": [_dbt_table(c) for c in contracts],
        }
        for system, contracts in groupby(ALL_CONTRACTS, key=lambda c: c.system)
    ]
    sources.append(
        {
            "name": "extract",
            "schema": "raw",
            "description": "Log of every loaded delivery, written by all extract assets.",
            "tables": [
                {
                    "name": "deliveries",
                    "meta": {"dagster": {"asset_key": ["extract", "deliveries"]}},
                }
            ],
        }
    )
    document = {"version": 2, "sources": sources}
    return DBT_HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    print(render_dbt_sources() if sys.argv[1:] == ["dbt"] else render(), end="")
