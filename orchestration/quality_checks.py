"""Great Expectations suites as blocking Dagster asset checks.

On the marts: when a check fails, publish, signals and alert emails do not run in that
run. On the sources: each raw table's contract suite checks the latest delivered period
(the month a scheduled run just loaded; a backfill's earlier periods were checked row by
row at extraction); when one fails, dbt does not build on it.
"""

import dagster as dg

from orchestration.dbt_assets import FACT, RESTRICTED
from orchestration.resources import KvarterStorage
from quality.gx_runner import SuiteResult
from quality.source_suites import validate_sources
from quality.suites import validate_indicator_mart
from sources.registry import ALL_CONTRACTS
from sources.warehouse import create_raw_tables


def _as_check_result(result: SuiteResult) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failures),
            "failures": dg.MetadataValue.json(
                [
                    {
                        "expectation": f.expectation,
                        "column": f.column,
                        "unexpected_count": f.unexpected_count,
                    }
                    for f in result.failures
                ]
            ),
        },
    )


def _validate(storage: KvarterStorage, table: str, published: bool) -> SuiteResult:
    with storage.connect(read_only=True) as con:
        frame = con.sql(f"select * from {table}").df()
        catalogue = con.sql("select * from reference.indicator_catalogue").df()
    return validate_indicator_mart(table, frame, catalogue, published=published)


@dg.asset_check(asset=FACT, blocking=True, name="gx_published_indicator_suite")
def gx_published_indicator_suite(storage: KvarterStorage) -> dg.AssetCheckResult:
    """Keys, catalogue ids, share bounds, numerator <= denominator and disclosure control."""
    return _as_check_result(_validate(storage, "marts.fct_area_indicator_month", published=True))


@dg.asset_check(asset=RESTRICTED, blocking=True, name="gx_restricted_indicator_suite")
def gx_restricted_indicator_suite(storage: KvarterStorage) -> dg.AssetCheckResult:
    """Keys, catalogue ids, share bounds and numerator <= denominator before detection."""
    return _as_check_result(
        _validate(storage, "restricted.restricted_area_indicator_month", published=False)
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "gx_contract_suite",
            asset=dg.AssetKey([c.system, c.entity]),
            blocking=True,
            description=f"The contract of {c.system}/{c.entity} holds for its latest period.",
        )
        for c in ALL_CONTRACTS
    ],
)
def gx_contract_suites(storage: KvarterStorage):
    tables = []
    with storage.connect() as con:
        create_raw_tables(con, ALL_CONTRACTS)
        for contract in ALL_CONTRACTS:
            table = f"raw.{contract.table}"
            frame = con.sql(
                f"select * from {table} where period = (select max(period) from {table})"
            ).df()
            tables.append((contract, frame))
    for (contract, frame), result in zip(tables, validate_sources(tables)):
        check = _as_check_result(result)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey([contract.system, contract.entity]),
            check_name="gx_contract_suite",
            passed=check.passed,
            severity=check.severity,
            metadata={**check.metadata, "rows_checked": len(frame)},
        )


quality_checks = [gx_published_indicator_suite, gx_restricted_indicator_suite, gx_contract_suites]
