"""Detection over the validated marts, and the alert emails it leads to."""

from pathlib import Path

import dagster as dg
import pandas as pd

import signals
from orchestration.defs.dbt import (
    CONTACTS,
    DIM_AREA,
    DIM_INDICATOR,
    FACT,
    RESTRICTED,
)
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from signals.alerts import Alert, safe_explanation, write_outbox

HISTORY_MONTHS = 6


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
            "select indicator_id, worse_when, statutory_threshold from marts.dim_indicator"
        ).df()
        found = signals.detect(observations, indicators)
        con.execute("create schema if not exists signals")
        con.register("found", found)
        con.execute("create or replace table signals.area_signals as select * from found")
        # What may be published: which series are in a signal state and since when, for
        # series whose cell of that month is published; never the restricted rates and
        # scores behind it (readers see the published series). The auditor checks it.
        con.execute("drop table if exists signals.signal_states")
        con.execute("""
            create table signals.signal_states as
            select found.area_id, found.indicator_id, cast(found.period as date) as period,
                found.severity, cast(found.episode_start as date) as episode_start
            from found
            inner join marts.fct_area_indicator_month as fact
                on found.area_id = fact.area_id and found.indicator_id = fact.indicator_id
                and cast(found.period as date) = fact.period
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


def load_alerts(storage: KvarterStorage) -> list[Alert]:
    """Join signals with labels, routing and the published history of each series."""
    with storage.connect(read_only=True) as con:
        rows = con.sql(
            """
            select s.*, a.area_name, c.name_da, c.definition, c.unit, c.display_scale, c.worse_when,
                   d.department_name_da, d.contact_email
            from signals.area_signals as s
            inner join marts.dim_area as a on s.area_id = a.area_id
            inner join marts.dim_indicator as c on s.indicator_id = c.indicator_id
            inner join reference.department_contacts as d on c.department = d.department
            -- Only alarms are mailed; watches stay in signals.area_signals for dashboards.
            where s.severity = 'alarm'
            """
        ).df()
        published = con.sql(
            "select area_id, indicator_id, period, value, suppressed "
            "from marts.fct_area_indicator_month"
        ).df()
    alerts = []
    for r in rows.itertuples():
        history = (
            published[
                (published["area_id"] == r.area_id)
                & (published["indicator_id"] == r.indicator_id)
                & (published["period"] <= r.period)
            ]
            .sort_values("period")
            .tail(HISTORY_MONTHS)
        )
        history = history.assign(period=pd.to_datetime(history["period"]).dt.date)
        period = pd.Timestamp(r.period).date()
        episode_start = pd.Timestamp(r.episode_start).date()
        alerts.append(
            Alert(
                area_id=r.area_id,
                area_name=r.area_name,
                indicator_id=r.indicator_id,
                indicator_name=r.name_da,
                definition=r.definition,
                unit=r.unit,
                display_scale=int(r.display_scale),
                worse_when=r.worse_when,
                severity=r.severity,
                period=period,
                episode_start=episode_start,
                explanation=safe_explanation(r.explanation, history, episode_start, period),
                department_name=r.department_name_da,
                recipient=r.contact_email,
                history=history,
            )
        )
    return alerts


@dg.asset(
    deps=[area_signals, CONTACTS, DIM_AREA, DIM_INDICATOR],
    group_name="signals",
    pool=WAREHOUSE_POOL,
    kinds={"email"},
    description="Danish alert emails (.eml) in the outbox, one per alarm episode of an area x "
    "indicator.",
)
def alert_emails(
    context: dg.AssetExecutionContext, storage: KvarterStorage
) -> dg.MaterializeResult:
    alerts = load_alerts(storage)
    written, present, failed = write_outbox(alerts, Path(storage.outbox_dir))
    for path in written:
        context.log.info(f"wrote {path.name}")
    if failed:
        # The others are written; the step fails so the data team sees which did not.
        raise dg.Failure(
            description=f"{len(failed)} alert email(s) could not be rendered: "
            + "; ".join(f"{key}: {error}" for key, error in sorted(failed.items())),
            metadata={"emails_written": len(written), "emails_failed": len(failed)},
        )
    return dg.MaterializeResult(
        metadata={
            "outbox": storage.outbox_dir,
            "emails_written": len(written),
            "episodes_already_in_outbox": len(present),
        }
    )
