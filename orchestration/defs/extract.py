"""One extract asset per source entity, partitioned by the entity's delivery cadence.

Each run extracts its periods with the contract's checks, quarantine and accounting
(sources/extract.py), then runs the contract's GX suite on exactly those periods.
"""

import datetime as dt
import warnings

import dagster as dg
import duckdb

from orchestration.defs.quality_checks import as_check_result
from orchestration.partitions import monthly, partition_date, yearly
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from quality.source_suites import validate_source
from sources import duckdb_limits
from sources.contracts import Contract
from sources.cpr import check_key, key_origin, load_key
from sources.extract import extract_periods
from sources.readers import SourceUnavailable
from sources.registry import ALL_CONTRACTS
from sources.validate import Pseudonymiser
from sources.warehouse import LoadStats, create_raw_tables

# BackfillPolicy is beta in Dagster 1.13; its behaviour here is covered by the tests.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# A source that stayed unreachable through the reader's own retries is tried again by
# Dagster a few times, minutes apart (30, 60, 120 s), and so is a warehouse locked by
# another process; nothing else is retried (`_transient`).
RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# The run tag of an extract run one of whose steps failed for such a reason.
TRANSIENT_TAG = "kvarter/transient"


# The extract jobs run their steps one after another in the run's process
# (defs/resources.py): the assets of one run share a Pseudonymiser, so each person is
# hashed once per run, not once per source. Only the current run's is kept, in memory.
_pseudonymisers: dict[tuple[str, bytes], Pseudonymiser] = {}


def _run_pseudonymiser(run_id: str, key: bytes) -> Pseudonymiser:
    if (run_id, key) not in _pseudonymisers:
        _pseudonymisers.clear()
        _pseudonymisers[run_id, key] = Pseudonymiser(key)
    return _pseudonymisers[run_id, key]


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.kind, description=c.description or f"source column {c.header}")
            for c in contract.columns
        ]
    )


def _batch_message(contract: Contract, batch: list[tuple[dt.date, LoadStats]]) -> str:
    """One log line per committed batch (an event costs 10-20 ms): its totals, and the
    periods with quarantined rows. Each period's counts are in raw.deliveries."""
    first, last = batch[0][0], batch[-1][0]
    span = f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} to {last:%Y-%m}"
    read = sum(s.rows_read for _, s in batch)
    loaded = sum(s.rows_loaded for _, s in batch)
    quarantined = sum(s.rows_quarantined for _, s in batch)
    message = (
        f"{contract.table} {span} ({len(batch)} period(s)): read {read}, loaded {loaded}, "
        f"quarantined {quarantined}"
    )
    flagged = [f"{p:%Y-%m} {s.rows_quarantined}" for p, s in batch if s.rows_quarantined]
    if len(batch) > 1 and flagged:
        message += f" ({', '.join(flagged)})"
    return message


def _transient(error: Exception) -> bool:
    """A source still unreachable after the reader's retries, or the warehouse locked by
    another process (`duckdb.connect`: "Could not set lock on file")."""
    return isinstance(error, SourceUnavailable) or (
        isinstance(error, duckdb.IOException) and "Could not set lock" in str(error)
    )


def _load(
    context: dg.AssetExecutionContext, storage: KvarterStorage, contract: Contract
) -> dg.MaterializeResult:
    """Extract the run's periods of `contract` into its raw table, with the contract suite."""
    key = load_key(storage.cpr_key_file)
    pseudonymise = _run_pseudonymiser(context.run.run_id, key)
    read = loaded = quarantined = 0
    with storage.connect() as con:
        duckdb_limits.apply(con, storage.warehouse_path)
        create_raw_tables(con, ALL_CONTRACTS)
        check_key(con, key, key_origin(storage.cpr_key_file))
        # The periods of this run (a restated old month included), nothing else.
        periods = [partition_date(p) for p in context.partition_keys]
        for batch in extract_periods(con, contract, periods, storage.locations, pseudonymise):
            context.log.info(_batch_message(contract, batch))
            for _, stats in batch:
                read += stats.rows_read
                loaded += stats.rows_loaded
                quarantined += stats.rows_quarantined
        checked = con.execute(
            f"select count(*) from raw.{contract.table} where period between ? and ?",
            [min(periods), max(periods)],
        ).fetchall()[0][0]
        check = as_check_result(validate_source(con, contract, periods))
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="gx_contract_suite",
                passed=check.passed,
                severity=check.severity,
                metadata={**check.metadata, "rows_checked": checked},
            )
        ],
        metadata={
            "periods": len(context.partition_keys),
            "rows_read": read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
            "table": f"raw.{contract.table}",
        },
    )


def extract_key(contract: Contract) -> dg.AssetKey:
    """The extract asset of a source: <system>/<entity>."""
    return dg.AssetKey([contract.system, contract.entity])


def build_extract_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=extract_key(contract),
        partitions_def=monthly if contract.cadence == "monthly" else yearly,
        # A backfill of many periods runs as one run that loops over them.
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="extract",
        kinds={"python", "duckdb"},
        description=f"{contract.description} Source: {contract.fmt} {contract.source}",
        metadata={"dagster/column_schema": _column_schema(contract)},
        retry_policy=RETRY_POLICY,
        pool=WAREHOUSE_POOL,
        check_specs=[
            dg.AssetCheckSpec(
                "gx_contract_suite",
                asset=extract_key(contract),
                blocking=True,
                description="The contract holds for every period this run extracted.",
            )
        ],
    )
    def _extract(
        context: dg.AssetExecutionContext, storage: KvarterStorage
    ) -> dg.MaterializeResult:
        try:
            return _load(context, storage, contract)
        except Exception as error:
            if _transient(error):
                # RETRY_POLICY applies; should the run fail even so,
                # retry_transient_extracts runs it again later.
                context.instance.add_run_tags(context.run.run_id, {TRANSIENT_TAG: "true"})
                raise
            # A broken delivery, a contract fault or a missing key file gives the same
            # result every time: fail at once, not after minutes of retries.
            raise dg.Failure(str(error), allow_retries=False) from error

    return _extract


extract_assets = [build_extract_asset(c) for c in ALL_CONTRACTS]
monthly_keys = [extract_key(c) for c in ALL_CONTRACTS if c.cadence == "monthly"]
yearly_keys = [extract_key(c) for c in ALL_CONTRACTS if c.cadence == "yearly"]
extract_keys = monthly_keys + yearly_keys

# The delivery log is written by every extract asset; dbt reads it to know which periods
# were delivered (an empty delivery is a month with nothing to report, not a gap).
delivery_log = dg.AssetSpec(
    key=dg.AssetKey(["extract", "deliveries"]),
    deps=extract_keys,
    group_name="extract",
    description="raw.deliveries: one row per loaded delivery with its row accounting.",
)
