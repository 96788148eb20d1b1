"""Detection over the validated marts (the alerts it leads to: alert_assets.py)."""

import dagster as dg
import pandas as pd

import signals
from orchestration.defs.dbt import DIM_INDICATOR, FACT, RESTRICTED
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage


@dg.asset(
    deps=[RESTRICTED, FACT, DIM_INDICATOR],  # the marts' blocking checks gate detection
    group_name="signals",
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    description="Area x indicator series in a deterioration signal state at the latest month "
    "(restricted: signals.area_signals).",
)
def area_signals(
    context: dg.AssetExecutionContext, storage: KvarterStorage
) -> dg.MaterializeResult:
    with storage.connect() as con:
        observations = con.sql(
            "select area_id, indicator_id, period, numerator, denominator "
            "from restricted.restricted_area_indicator_month"
        ).df()
        indicators = con.sql(
            "select indicator_id, worse_when, statutory_threshold, rolling_window "
            "from marts.dim_indicator"
        ).df()
        found = signals.detect(observations, indicators)
        con.execute("create schema if not exists signals")
        con.register("found", found)
        con.execute("create or replace table signals.area_signals as select * from found")
        # What may be published: which series are in a signal state and since when, for
        # series whose cell of that month is published, the start left blank where its
        # month's cell is hidden (as for episodes: no month it names is hidden); never the
        # restricted rates and scores behind it (readers see the published series). The
        # auditor checks it.
        con.execute("drop table if exists signals.signal_states")
        con.execute("""
            create table signals.signal_states as
            select found.area_id, found.indicator_id, cast(found.period as date) as period,
                found.severity,
                case when not onset.suppressed then cast(found.episode_start as date) end
                    as episode_start
            from found
            inner join marts.fct_area_indicator_month as fact
                on found.area_id = fact.area_id and found.indicator_id = fact.indicator_id
                and cast(found.period as date) = fact.period
            left join marts.fct_area_indicator_month as onset
                on found.area_id = onset.area_id and found.indicator_id = onset.indicator_id
                and cast(found.episode_start as date) = onset.period
            where not fact.suppressed
        """)
        con.unregister("found")
    as_of = pd.to_datetime(observations["period"]).max()
    context.log.info(f"{len(found)} series in a signal state at {as_of:%Y-%m}")
    return dg.MaterializeResult(
        metadata={
            "as_of": f"{as_of:%Y-%m}",
            "series_evaluated": int(observations.groupby(["area_id", "indicator_id"]).ngroups),
            "alarms": int((found["severity"] == "alarm").sum()),
            "watches": int((found["severity"] == "watch").sum()),
        }
    )
