"""``servicepulse backfill``: a JSONL history as Prometheus TSDB blocks.

The command line only: the sampling, the blocks and the recording rules are
``streams.history`` (docs/history.md).
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path
from typing import Any

from streams.argtypes import duration
from streams.core.policy import load_policies
from streams.errors import UserError
from streams.history.backfill import backfill_events
from streams.history.blocks import promtool
from streams.history.rules import DEFAULT_RULES
from streams.history.sampler import DAY, MAX_QUIET, BackfillResult, Sampler
from streams.history.source import HistoryFile, history_lines

__all__ = [
    "DEFAULT_RULES",
    "BackfillResult",
    "HistoryFile",
    "Sampler",
    "backfill_events",
    "history_lines",
    "parse_step",
]


def parse_step(text: str) -> float:
    """The sampling step: a command-line duration (argtypes), whole seconds from 1s to 1h."""
    seconds = duration(text)
    if not 1 <= seconds <= 3600 or seconds != int(seconds):
        raise argparse.ArgumentTypeError("step must be whole seconds from 1s to 1h")
    return seconds


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    promtool()  # fail before reading anything
    rules = None if args.no_rules else args.rules
    if rules is not None and not Path(rules).is_file():
        raise UserError(
            f"cannot read the recording rules {rules} (give --rules FILE or --no-rules)"
        )
    history = history_lines(args.file)
    size = history.size()
    result = backfill_events(history, policies, args.out, args.step, True, rules=rules)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tools = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest child
    if result.skipped:
        print(
            f"servicepulse: {result.skipped:,} stretches without events longer than "
            f"{MAX_QUIET / DAY:.0f} days ({result.skipped_seconds / DAY:,.0f} days) not sampled",
            file=sys.stderr,
        )
    print(
        f"servicepulse: {result.summary()} ({size:,} bytes); "
        f"{result.samples:,} samples every {args.step:g}s in {result.blocks} blocks, "
        f"{result.rule_blocks} rule blocks, in {args.out}; peak memory {own:.0f} MB "
        f"(promtool/prometheus: {tools:.0f} MB)",
        file=sys.stderr,
    )
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "backfill",
        help="run a JSONL history through the engine and write Prometheus TSDB blocks",
        description="Run a JSONL history through the engine on the event clock and write "
        "Prometheus TSDB blocks (every metric, and the recording rules, sampled every STEP) "
        "into DIR, ready to be moved into a Prometheus data directory (docs/history.md). "
        "Needs promtool (and prometheus for the recording rules) on PATH.",
    )
    parser.add_argument("file", help="JSONL file, one event per line, in time order")
    parser.add_argument("--policy", metavar="P", help="SLA policy YAML (default: built-in)")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the blocks")
    parser.add_argument(
        "--step",
        type=parse_step,
        default=60.0,
        metavar="S",
        help="sampling interval of event time, like a scrape interval (default 60s)",
    )
    parser.add_argument(
        "--rules",
        metavar="FILE",
        default=str(DEFAULT_RULES),
        help="recording rules to backfill for the same span (default: the project's)",
    )
    parser.add_argument("--no-rules", action="store_true", help="raw series only")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="(the default) a bar on a terminal, otherwise a line every 10 seconds",
    )
    parser.set_defaults(func=command)
