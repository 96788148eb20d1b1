"""Run Great Expectations 1.x suites on pandas frames and summarise the outcome.

GX is imported inside the functions: its import takes seconds and the Dagster code
location should load fast. One ephemeral context serves many suites.
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int | None


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure]


def run_suites(batches: Iterable[tuple[str, pd.DataFrame, list]]) -> list[SuiteResult]:
    """Validate each (name, frame, expectations) and return one result per suite; the
    batches may come from a generator, so only one frame need be in memory."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("warehouse")
    results = []
    for name, frame, expectations in batches:
        batch_definition = source.add_dataframe_asset(
            name=name
        ).add_batch_definition_whole_dataframe("whole_table")
        suite = gx.ExpectationSuite(name=name)
        for expectation in expectations:
            suite.add_expectation(expectation)
        result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
        failures = [
            Failure(
                expectation=r.expectation_config.type,
                column=r.expectation_config.kwargs.get("column"),
                # Counts only: unexpected values could be small cells or personal data.
                unexpected_count=r.result.get("unexpected_count"),
            )
            for r in result.results
            if not r.success
        ]
        results.append(SuiteResult(name, bool(result.success), len(result.results), failures))
    return results
