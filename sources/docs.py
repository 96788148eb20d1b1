"""The source contracts as a Markdown reference (docs/sources.md), generated from code.

    .venv/bin/python -m sources.docs > docs/sources.md

A test keeps the committed file equal to this output.
"""

from sources.contracts import Contract
from sources.registry import ALL_CONTRACTS

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
        parts.append("valid CPR; stored as keyed HMAC pseudonym")
    return "; ".join(parts)


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
            lines += [f"## {system}", ""]
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
                f"{c.description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
