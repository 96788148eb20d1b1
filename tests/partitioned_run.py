"""A tiny monthly-partitioned asset and a single-run backfill of it, for tests of the
Dagster instance that dagster.yaml configures."""

import dagster as dg

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-04-01")


@dg.asset(partitions_def=MONTHS, backfill_policy=dg.BackfillPolicy.single_run())
def deliveries(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"months": len(context.partition_keys)})


JOB = dg.Definitions(
    assets=[deliveries],
    jobs=[dg.define_asset_job("extract")],
).resolve_job_def("extract")


def backfill(instance: dg.DagsterInstance, first: str, last: str) -> str:
    """One run materialising the months first..last (first days, ISO); its run id."""
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    result = JOB.execute_in_process(instance=instance, tags=tags)
    assert result.success
    return result.run_id
