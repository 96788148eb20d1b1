"""Great Expectations suites for the raw source tables, derived from their contracts.

The same contract that drives the reader (sources/<system>.py) declares what the GX
suite expects of the loaded table: columns, required values, allowed values, ranges,
unique keys per period, and person keys that are pseudonyms, never CPR numbers.
"""

from collections.abc import Iterable

import pandas as pd

from quality.gx_runner import Failure, SuiteResult, run_suites
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


def validate_source(contract: Contract, chunks: Iterable[tuple[str, pd.DataFrame]]) -> SuiteResult:
    """The contract suite over a raw table handed over in chunks of whole periods, so only
    one chunk is in memory (a city's residents over 60 months would not fit); keys are
    unique per period, so chunk by chunk checks the same as the whole table at once."""
    expectations = contract_expectations(contract)
    results = run_suites(
        (f"raw.{contract.table} {label}", frame, expectations) for label, frame in chunks
    )
    return combined(f"raw.{contract.table}", results)


def combined(name: str, results: list[SuiteResult]) -> SuiteResult:
    """One result for the chunks of one table: failed if any chunk failed, each failed
    expectation once with its unexpected rows summed (unknown if any chunk's is)."""
    counts: dict[tuple[str, str | None], int | None] = {}
    for result in results:
        for failure in result.failures:
            key = (failure.expectation, failure.column)
            before = counts.get(key, 0)
            counts[key] = (
                None
                if before is None or failure.unexpected_count is None
                else before + failure.unexpected_count
            )
    return SuiteResult(
        suite=name,
        success=all(r.success for r in results),
        evaluated=max((r.evaluated for r in results), default=0),
        failures=[Failure(e, c, n) for (e, c), n in counts.items()],
    )
