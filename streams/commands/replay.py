"""``servicepulse replay``: a JSONL file through the engine on the event clock (replay.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.core.policy import load_policies
from streams.errors import UserError
from streams.ledger.options import add_ledger_options, ledger_from_args
from streams.replay import replay


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    ledger = ledger_from_args(args, default=None)
    result = replay(args.file, policies, show_progress=sys.stderr.isatty(), ledger=ledger)
    if args.out in (None, "-"):
        sys.stdout.buffer.write(result.exposition)
        sys.stdout.flush()
    else:
        try:
            Path(args.out).write_bytes(result.exposition)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"servicepulse: {result.summary()}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "replay",
        help="run a JSONL file of events through the engine (event clock)",
        description="Run the events of a JSONL file through the same engine the worker uses, "
        "with the event clock (the latest event time seen), and write the Prometheus text "
        "exposition of every metric. Exits 0 even when some events were rejected.",
    )
    parser.add_argument("file", help="JSONL file, one event per line")
    parser.add_argument("--policy", metavar="P", help="SLA policy YAML (default: built-in)")
    parser.add_argument("--out", metavar="M", help="write the exposition here (default: stdout)")
    add_ledger_options(parser, default_note="default: none")
    parser.set_defaults(func=command)
