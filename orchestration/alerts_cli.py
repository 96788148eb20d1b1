"""`kvarter alerts ...`: the operators' view of episodes, silences, previews and resends."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from pathlib import Path

from orchestration.resources import KvarterStorage
from signals import episode_store
from signals.alert_run import latest_month, month_digests, routing_from
from signals.digest import render
from signals.episodes import silence, unsilence
from signals.mail_queue import SmtpConfig, deliver, requeue


def add_parser(sub) -> None:
    alerts = sub.add_parser("alerts", help="alert episodes: list, show, silence, preview, resend")
    commands = alerts.add_subparsers(dest="alerts_command", required=True)
    commands.add_parser("list", help="every episode, open ones first")
    show = commands.add_parser("show", help="one episode and its transitions")
    show.add_argument("episode_id")
    quiet = commands.add_parser("silence", help="leave an episode out of digests until a date")
    quiet.add_argument("episode_id")
    quiet.add_argument("--until", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    quiet.add_argument("--reason", required=True)
    quiet.add_argument("--by", default=getpass.getuser(), help="who (default: you)")
    loud = commands.add_parser("unsilence", help="end a silence now")
    loud.add_argument("episode_id")
    preview = commands.add_parser("preview", help="the digest a recipient gets this month")
    preview.add_argument("--recipient", required=True)
    resend = commands.add_parser(
        "resend", help="send a digest again (its key): one refused for good, else a sent one"
    )
    resend.add_argument("digest_id")


def _print_episode_line(e) -> None:
    silenced = f" dæmpet til {e.silenced_until}" if e.silenced_until else ""
    print(
        f"  {e.episode_id:<48} {e.state:<13} {e.severity:<5} siden {e.onset:%Y-%m} "
        f"senest {e.last_signal_month:%Y-%m}{silenced}"
    )


def run(args: argparse.Namespace, storage: KvarterStorage) -> int:
    command = args.alerts_command
    if command == "resend":
        outbox = Path(storage.outbox_dir)
        requeue(outbox, args.digest_id)
        report = deliver(outbox, SmtpConfig.from_env())
        if args.digest_id in report.failed:
            print(f"{args.digest_id}: ikke sendt, ligger i kø: {report.failed[args.digest_id]}")
            return 1
        if args.digest_id in report.rejected:
            print(f"{args.digest_id}: afvist igen, lagt til side i {outbox / 'failed'}: "
                  f"{report.rejected[args.digest_id]}")  # fmt: skip
            return 1
        print(f"{args.digest_id}: {'sent' if args.digest_id in report.sent else 'queued'}")
        return 0
    read_only = command in ("list", "show", "preview")
    with storage.connect(read_only=read_only) as con:
        if not read_only:  # a warehouse from an older release, before its next run
            episode_store.ensure_schema(con)
        if command == "list":
            episodes = episode_store.load_episodes(con)
            open_first = sorted(episodes, key=lambda e: (e.state == "afsluttet", e.episode_id))
            print(f"{len(episodes)} episode(r)")
            for episode in open_first:
                _print_episode_line(episode)
        elif command == "show":
            episode = episode_store.load_episode(con, args.episode_id)
            for name, value in vars(episode).items():
                print(f"{name:<18} {value}")
            print("overgange:")
            for t in episode_store.transitions_of(con, args.episode_id):
                print(f"  {t.month:%Y-%m} {t.from_state or '-':>13} -> {t.to_state:<13} "
                      f"kørsel {t.run_id} {t.note}")  # fmt: skip
        elif command in ("silence", "unsilence"):
            episode = episode_store.load_episode(con, args.episode_id)
            if command == "silence":
                if args.until <= dt.date.today():
                    raise ValueError(f"--until {args.until} er ikke efter i dag")
                changed, transition = silence(episode, args.until, args.by, args.reason, "cli")
                transitions = [transition]
            else:
                transitions = []
                changed = unsilence(
                    episode,
                    episode.last_month,
                    "cli",
                    transitions,
                    f"ophævet af {getpass.getuser()}",
                )
            episode_store.save(con, [changed], transitions)
            print(f"{changed.episode_id}: {episode.state} -> {changed.state}")
        elif command == "preview":
            if missing := episode_store.memory_missing(con):
                raise ValueError(
                    f"lageret er fra en ældre version ({missing}): kør `kvarter run` én gang,"
                    " så kan sammendraget vises"
                )
            month = latest_month(con)
            # The same digests the alert step queues: mailable episodes only.
            digests, series = month_digests(con, month, routing_from(con))
            mine = [d for d in digests if d.recipient.address == args.recipient]
            if not mine or not mine[0].worth_sending:
                print(f"Intet sammendrag til {args.recipient} for {month:%Y-%m}.")
                return 0
            msg = render(mine[0].first_of_month(), series)
            print(f"To: {msg['To']}\nSubject: {msg['Subject']}\n")
            print(msg.get_body("plain").get_content())
    return 0
