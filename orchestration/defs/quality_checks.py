"""Great Expectations suites as blocking Dagster asset checks.

On the marts: when a check fails, publish, signals and alert emails do not run in that
run. The sources' contract suites run inside each extract asset, on the periods it just
extracted (orchestration/extract_assets.py).
"""

import dagster as dg

from orchestration.defs.dbt import FACT, RESTRICTED
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from quality.gx_runner import SuiteResult
from quality.suites import validate_indicator_mart


def as_check_result(result: SuiteResult) -> dg.AssetCheckResult:
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


@dg.asset_check(asset=FACT, blocking=True, name="gx_published_indicator_suite", pool=WAREHOUSE_POOL)
def gx_published_indicator_suite(storage: KvarterStorage) -> dg.AssetCheckResult:
    """Keys, catalogue ids, share bounds, numerator <= denominator and disclosure control."""
    return as_check_result(_validate(storage, "marts.fct_area_indicator_month", published=True))


@dg.asset_check(
    asset=RESTRICTED, blocking=True, name="gx_restricted_indicator_suite", pool=WAREHOUSE_POOL
)
def gx_restricted_indicator_suite(storage: KvarterStorage) -> dg.AssetCheckResult:
    """Keys, catalogue ids, share bounds and numerator <= denominator before detection."""
    return as_check_result(
        _validate(storage, "restricted.restricted_area_indicator_month", published=False)
    )
