"""Great Expectations suites for the raw source tables, derived from their contracts.

The same contract that drives the reader (sources/<system>.py) declares what the GX
suite expects of the loaded table: columns, required values, allowed values, ranges,
unique keys per period, and person keys that are pseudonyms, never CPR numbers.
"""

import pandas as pd

from quality.gx_runner import SuiteResult, run_suites
from sources.contracts import Contract

PSEUDONYM = r"^[0-9a-f]{64}$"


def contract_expectations(contract: Contract) -> list:
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectTableColumnsToMatchSet(column_set=contract.column_names(), exact_match=True),
        e.ExpectCompoundColumnsToBeUnique(column_list=["period", *contract.key]),
    ]
    for c in contract.columns:
        if not c.nullable:
            expectations.append(e.ExpectColumnValuesToNotBeNull(column=c.name))
        if c.allowed:
            expectations.append(
                e.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.allowed))
            )
        if c.minimum is not None or c.maximum is not None:
            expectations.append(
                e.ExpectColumnValuesToBeBetween(
                    column=c.name, min_value=c.minimum, max_value=c.maximum
                )
            )
        if c.kind == "cpr":
            expectations.append(e.ExpectColumnValuesToMatchRegex(column=c.name, regex=PSEUDONYM))
    return expectations


def validate_sources(tables: list[tuple[Contract, pd.DataFrame]]) -> list[SuiteResult]:
    """One contract suite per (contract, rows of the raw table) in a single GX context."""
    return run_suites([(f"raw.{c.table}", frame, contract_expectations(c)) for c, frame in tables])
