"""`kvarter`: the operations a user runs (generate, run, summary, demo, alerts)."""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from email import policy
from email.parser import BytesParser
from pathlib import Path

import duckdb

from orchestration import alerts_cli
from orchestration.resources import PROJECT_ROOT, KvarterStorage, apply_layout_defaults

# The source systems that are read where they live; no default outside the demo.
SOURCE_ADDRESSES = ("KVARTER_HOUSING_DB_URL", "KVARTER_HEALTH_API_URL")


def _set_up_environment() -> None:
    """The project's layout for every variable left unset, and the Dagster instance's
    config (dagster.yaml in the project root, storage in .dagster/)."""
    apply_layout_defaults()
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.environ.setdefault("KVARTER_DAGSTER_STORAGE", str(PROJECT_ROOT / ".dagster"))


def cmd_run(storage: KvarterStorage, synthetic: bool) -> int:
    """Synthetic sources only when asked for: a production run without its source
    addresses must not quietly read the demo's (which would record months it never
    delivered)."""
    missing = [name for name in SOURCE_ADDRESSES if not os.environ.get(name)]
    if missing and not synthetic:
        print(
            f"kvarter run: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
            "set. Point them at the source systems, or run `kvarter run --synthetic` (or "
            "`kvarter demo`) to serve the synthetic ones.",
            file=sys.stderr,
        )
        return 2
    _print_skipped_folders(storage, "kvarter run: warning: ")
    if synthetic:
        from orchestration.demo import synthetic_sources

        with synthetic_sources(storage) as live:
            run = _run_pipeline(live)
    else:
        run = _run_pipeline(storage)
    for result in run.extracts:
        print(
            f"Extract run {result.run_id} ({result.job_def.name}) -> "
            f"{'success' if result.success else 'FAILED'}"
        )
        if not result.success:
            _print_failures(result)
    if run.refresh is None:
        return 1
    print(
        f"Refresh run {run.refresh.run_id} (dbt, quality gates, publish, signals, alerts) -> "
        f"{'success' if run.refresh.success else 'FAILED'}"
    )
    if not run.refresh.success:
        _print_failures(run.refresh)
        return 1
    return 0


def _run_pipeline(storage: KvarterStorage):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.pipeline import run_pipeline
    from orchestration.stale_runs import release_dead_runs

    instance = dg.DagsterInstance.get()
    for run_id, stopped in release_dead_runs(instance).items():
        print(f"Run {run_id} lost its process (killed?): marked failed, its warehouse slot freed")
        if stopped:
            print(f"  stopped the processes it left running (its dbt build): {stopped}")
    return run_pipeline(defs(), storage, instance)


def _print_failures(result) -> None:
    for line in failure_lines(result):
        print(f"  {line}")


def failure_lines(result) -> list[str]:
    """A line per failed step with the error that caused it, and per failed asset check
    (the same lines as the data team's failure mail)."""
    from signals.data_team_mail import failure_lines as lines_of_events

    return lines_of_events(result.all_events)


def _print_skipped_folders(storage: KvarterStorage, prefix: str) -> None:
    """Landing folders no run reads (a name that is not a period, or a period without a
    partition): the other deliveries are extracted, and these must not go unnoticed."""
    from orchestration.partitions import skipped_folders

    for message in skipped_folders(storage.landing):
        print(f"{prefix}{message}")


def cmd_summary(storage: KvarterStorage) -> None:
    import duckdb

    con = duckdb.connect(storage.warehouse_path, read_only=True)
    print(f"\nWarehouse {storage.warehouse_path}")
    _print_skipped_folders(storage, "  ")
    for system, entity, months, read, loaded, quarantined in con.sql(
        "select system, entity, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
        "from raw.deliveries group by all order by all"
    ).fetchall():
        table = f"raw.{system}__{entity}"
        print(
            f"  {table:<36} {months:>3} periods  read {read:>9,}  "
            f"loaded {loaded:>9,}  quarantined {quarantined:>6,}"
        )
    unplaced = dict(
        con.sql(
            "select source_system || '__' || source_entity, sum(records) "
            "from restricted.restricted_unplaced_records group by source_system, source_entity "
            "having sum(records) > 0"
        ).fetchall()
    )
    if unplaced:
        print("  loaded but counted in no area (no address in the municipality on the 1st):")
        for source, records in sorted(unplaced.items()):
            print(f"    raw.{source:<32} {records:>9,} records")
    print("  marts.fct_area_indicator_month (published):")
    for indicator, rows, suppressed, first, last in con.sql(
        "select indicator_id, count(*), count(*) filter (where suppressed), "
        "min(period), max(period) from marts.fct_area_indicator_month group by all order by all"
    ).fetchall():
        print(
            f"    {indicator:<24} {rows:>4} rows, {suppressed:>3} suppressed, "
            f"{first:%Y-%m}..{last:%Y-%m}"
        )
    signals = con.sql(
        "select area_id, indicator_id, severity, episode_start "
        "from signals.area_signals order by all"
    ).fetchall()
    episodes = con.sql(
        "select state, count(*) from alerts.episodes group by state order by state"
    ).fetchall()
    con.close()
    print(f"\nSignals at the latest month: {len(signals)}")
    for area, indicator, severity, start in signals:
        print(f"  {severity:<5} {area} {indicator} (episode since {start:%Y-%m})")
    print(
        "Alert episodes (alerts.episodes; kvarter alerts list): "
        + (", ".join(f"{n} {state}" for state, n in episodes) or "none")
    )
    print(f"\nPublished copy for dashboards and queries: {storage.published_path}")
    outbox = Path(storage.outbox_dir)
    emails = sorted(outbox.glob("*.eml"))
    sent = len(list((outbox / "sent").glob("*.eml")))
    refused = len(list((outbox / "failed").glob("*.eml")))
    # Without KVARTER_SMTP_HOST the outbox keeps them: this is what would be sent to whom.
    print(
        f"Outbox {outbox}: {len(emails)} digest(s) waiting to be sent, {sent} sent"
        + (f", {refused} refused for good (in failed/)" if refused else "")
    )
    for path in emails:
        msg = BytesParser(policy=policy.default).parse(path.open("rb"))
        print(f"  To {msg['To']} | {msg['Subject']}")
    print("\nOpen the Dagster UI on these runs: make ui  (then http://127.0.0.1:3000)")


def cmd_ui(storage: KvarterStorage, synthetic: bool, port: int) -> int:
    """`dagster dev` on this code location; with --synthetic its runs read the synthetic
    sources for any source address left unset."""
    command = [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions",
               "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
    # Under `dagster dev`, dagster-dbt prepares the dbt project with the `dbt` on PATH:
    # the venv's, also when the venv is not activated (`make ui`).
    path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    if not synthetic:
        return _serve(command, env={**os.environ, "PATH": path})
    from orchestration.demo import synthetic_sources

    before = {name: os.environ.get(name) for name in SOURCE_ADDRESSES}
    with synthetic_sources(storage):
        # Addresses the user set win over the synthetic ones.
        env = {**os.environ, "PATH": path, **{k: v for k, v in before.items() if v}}
        return _serve(command, env=env)


def _serve(command: list[str], env: dict | None = None) -> int:
    """Run a server until it stops. It runs in a process group of its own, and a SIGTERM
    to this process (`kill`, a service manager) or Ctrl-C here reaches that whole group as
    Ctrl-C would: `dagster dev` then stops its webserver, daemon and code servers at once
    (told by it alone, it shuts them down one after the other, over a minute on a busy
    machine)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started with Ctrl-C ignored (a background job of a shell): the server would
        # inherit that, and `dagster dev` would ignore the SIGINT (and SIGTERM) that stop it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    server = subprocess.Popen(command, env=env, process_group=0)

    def stop(*_) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        try:
            return server.wait()
        except KeyboardInterrupt:
            stop()
            return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_dashboard(published: str, port: int) -> int:
    return _serve(
        [sys.executable, "-m", "dashboard", "--server.port", str(port),
         "--", "--published", str(published)]
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kvarter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("generate", "write the synthetic municipality's deliveries"),
        ("demo", "generate, run and summarise"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "--scale", choices=["demo", "small", "city", "national"], default="demo"
        )
        command.add_argument("--seed", type=int, default=42)
    run = sub.add_parser("run", help="materialise every asset through Dagster")
    run.add_argument(
        "--synthetic",
        action="store_true",
        help="serve the synthetic health API from the landing zone for this run",
    )
    sub.add_parser("summary", help="print what the last run made and where")
    ui = sub.add_parser("ui", help="the Dagster UI on http://127.0.0.1:3000")
    ui.add_argument(
        "--synthetic",
        action="store_true",
        help="serve the synthetic sources for the UI's runs (unless their addresses are set)",
    )
    ui.add_argument("--port", type=int, default=3000)
    api = sub.add_parser("serve-health-api", help="serve the synthetic health system's API")
    api.add_argument("--port", type=int, default=8765)
    board = sub.add_parser("dashboard", help="the departments' dashboard on the published copy")
    board.add_argument("--published", help="published copy (default: the configured one)")
    board.add_argument("--port", type=int, default=8501)
    alerts_cli.add_parser(sub)
    args = parser.parse_args(argv)

    _set_up_environment()
    storage = KvarterStorage.from_environment()
    if args.command == "dashboard":
        return cmd_dashboard(args.published or storage.published_path, args.port)
    if args.command == "ui":
        return cmd_ui(storage, args.synthetic, args.port)
    if args.command in ("generate", "demo"):
        from orchestration.demo import generate_municipality

        generate_municipality(storage, args.scale, args.seed)
        if args.command == "generate":
            return 0
    if args.command == "serve-health-api":
        from orchestration.demo import synthetic_sources

        with synthetic_sources(storage, args.port) as live:
            print(f"Synthetic health API on {live.health_api_url} (Ctrl-C to stop)")
            threading.Event().wait()
        return 0
    if args.command == "alerts":
        try:
            return alerts_cli.run(args, storage)
        except (KeyError, ValueError) as error:  # unknown id, bad state, bad configuration
            print(f"kvarter alerts: {error.args[0] if error.args else error}", file=sys.stderr)
            return 2
        except duckdb.IOException as error:
            if "Conflicting lock" not in str(error):
                raise
            print(
                f"kvarter alerts: lageret {storage.warehouse_path} bruges af en kørsel lige nu"
                " (en anden proces skriver i det); prøv igen, når den er færdig",
                file=sys.stderr,
            )
            return 3
    if args.command == "summary":
        cmd_summary(storage)
        return 0
    status = cmd_run(storage, synthetic=args.command == "demo" or args.synthetic)
    if status == 0 and args.command == "demo":
        cmd_summary(storage)
    return status


if __name__ == "__main__":
    sys.exit(main())
