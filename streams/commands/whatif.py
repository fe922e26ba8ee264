"""``servicepulse whatif FILE --policy A --policy B ...``: one history under several policies.

The history is replayed once per policy file, each run with an engine of its own on the event
clock (``replay``'s reader and loop: ``run_file`` and ``settle``), handing its outcome records
to a ``RecordList``. At the end of the file the clock stands at the last event time, so the
breaches due by then are counted. ``streams.whatif`` compares the runs; this module prints the
side-by-side table on stdout, writes the flipped tickets as CSV (``--flipped-csv``) and the
HTML view (``--html``). docs/whatif.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from streams.console.progress import Progress
from streams.core.engine import Engine
from streams.core.policy import PolicySet, load_policy_file
from streams.core.records import Outcome, RecordList
from streams.errors import UserError
from streams.replay import ReplayResult, run_file, settle
from streams.whatif import Comparison, compare, policy_names
from streams.whatif.page import render_page
from streams.whatif.tables import flipped_rows, side_by_side


class EventCounts:
    """A fact sink that keeps only what the stderr summary needs: each line's fate."""

    def __init__(self) -> None:
        self.processed = 0
        self.duplicates = 0
        self.rejected: Counter[str] = Counter()

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        if metric == "events_processed":
            self.processed += int(amount)
        elif metric == "events_duplicate":
            self.duplicates += int(amount)
        elif metric == "events_rejected":
            self.rejected[labels[0]] += int(amount)

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        pass

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        pass


def outcomes_under(
    history: str, policies: PolicySet, label: str = "whatif", show_progress: bool = False
) -> tuple[list[Outcome], ReplayResult]:
    """Replay ``history`` under ``policies``: its outcome records and the lines' fates.
    ``label`` names the run on the progress line."""
    counts = EventCounts()
    engine = Engine(policies, counts)
    records = RecordList()
    engine.records = records
    try:
        stream = open(history, "rb")  # noqa: SIM115 - closed below, progress needs the handle
    except OSError as exc:
        raise UserError(f"cannot read {history}: {exc.strerror}") from None
    with stream:
        size = os.fstat(stream.fileno()).st_size
        progress = Progress(label, size, unit="bytes") if show_progress else None
        result = run_file(stream, engine, progress)
        settle(engine)
    result.processed, result.duplicates = counts.processed, counts.duplicates
    result.rejected = counts.rejected
    if progress is not None:
        progress.done(f"{result.events:,} events, {sum(result.rejected.values()):,} rejected")
    return [row for row in records.rows.values() if isinstance(row, Outcome)], result


def whatif(
    history: str, policy_files: list[str], teams: list[str], show_progress: bool = False
) -> tuple[Comparison, list[str]]:
    """The comparison, and one summary line per policy run for stderr."""
    policy_sets = [load_policy_file(path) for path in policy_files]  # all read before any replay
    names = policy_names(policy_files)
    runs, summaries = [], []
    for i, (name, policies) in enumerate(zip(names, policy_sets, strict=True), start=1):
        label = f"whatif {i}/{len(names)} {name}"
        outcomes, result = outcomes_under(history, policies, label, show_progress)
        runs.append(outcomes)
        summaries.append(f"{name}: {result.summary()}")
    return compare(names, runs, teams), summaries


def check_writable(path: str) -> None:
    """Fail at once, not after a long replay, when an output file cannot be written."""
    folder = Path(path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {path}: {folder} is not a writable directory")


def write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def write_csv(path: str, rows: list[list[str]]) -> None:
    try:
        with open(path, "w", newline="", encoding="utf-8") as out:
            csv.writer(out, lineterminator="\n").writerows(rows)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def command(args: argparse.Namespace) -> int:
    if len(args.policy) < 2:
        raise UserError("whatif compares policies: give at least two --policy files")
    for out in (args.flipped_csv, args.html):
        if out:
            check_writable(out)
    comparison, summaries = whatif(
        args.file, args.policy, args.team or [], show_progress=sys.stderr.isatty()
    )
    for summary in summaries:
        print(f"servicepulse: {summary}", file=sys.stderr)
    sys.stdout.write(side_by_side(comparison))
    sys.stdout.flush()
    if args.flipped_csv:
        write_csv(args.flipped_csv, flipped_rows(comparison))
    if args.html:
        write_text(args.html, render_page(comparison, args.file))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "whatif",
        help="replay a history under two or more policies and compare SLA attainment",
        description="Replay the events of a JSONL history once per SLA policy file (event "
        "clock, as replay does) and print, side by side per team and target, attainment "
        "(met / (met + breached)) under each policy and the number of tickets whose outcome "
        "changes against the first policy. Exits 0 even when some events were rejected.",
    )
    parser.add_argument("file", help="JSONL history, one event per line")
    parser.add_argument(
        "--policy",
        metavar="P",
        action="append",
        required=True,
        help="SLA policy YAML; give it two or more times, the first is the baseline",
    )
    parser.add_argument(
        "--flipped-csv",
        metavar="OUT.csv",
        help="write the (ticket, target, cycle) rows whose outcome changes, with the outcome "
        "and how late under each policy",
    )
    parser.add_argument("--html", metavar="OUT.html", help="write the comparison as an HTML page")
    parser.add_argument(
        "--team",
        metavar="T",
        action="append",
        help="only outcomes counted under this team (repeat for several)",
    )
    parser.set_defaults(func=command)
