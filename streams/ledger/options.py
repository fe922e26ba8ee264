"""The ``--ledger`` options of the commands that write the ledger (serve, demo, replay).

add_ledger_options(parser, default_note="default: <data-dir>/ledger.sqlite3")
ledger = ledger_from_args(args, default=Path(args.data_dir) / DEFAULT_FILE)  # None: off
engine.records = ledger
...
ledger.close()
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streams.argtypes import positive_number
from streams.ledger.sink import DEFAULT_RETENTION_DAYS, Ledger
from streams.ledger.store import open_store

OFF = "off"


def add_ledger_options(parser: argparse.ArgumentParser, default_note: str) -> None:
    group = parser.add_argument_group("outcomes ledger (docs/ledger.md)")
    group.add_argument(
        "--ledger",
        metavar="PATH|URL",
        default=None,
        help="write one row per SLA outcome, team stint, survey answer and QA review to this "
        f"SQLite file or postgresql:// URL ('{OFF}': none; {default_note}); "
        "read it with servicepulse outcomes",
    )
    group.add_argument(
        "--ledger-retention",
        type=positive_number,
        default=float(DEFAULT_RETENTION_DAYS),
        metavar="DAYS",
        help="delete ledger rows older than this, in event time (default %(default)g)",
    )


def ledger_target(args: argparse.Namespace, default: str | Path | None) -> str | None:
    """Where the ledger goes: ``--ledger``, else ``default``; None when off."""
    chosen = args.ledger if args.ledger is not None else default
    if chosen is None or str(chosen) == OFF:
        return None
    return str(chosen)


def ledger_from_args(args: argparse.Namespace, default: str | Path | None) -> Ledger | None:
    """The ledger the options ask for, its tables created if absent; None when off."""
    target = ledger_target(args, default)
    if target is None:
        return None
    return Ledger(open_store(target), retention_days=args.ledger_retention)
