"""``servicepulse replay``: a JSONL file through the engine, on the event clock."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from streams.console.progress import Progress
from streams.core.engine import Engine
from streams.core.policy import PolicySet, load_policies
from streams.errors import UserError
from streams.export.exporter import Exporter


@dataclass
class ReplayResult:
    events: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    exposition: bytes = b""


def run_file(stream: BinaryIO, engine: Engine, progress: Progress | None = None) -> ReplayResult:
    """Feed every line of ``stream`` to ``engine``, advancing the event clock as events come."""
    result = ReplayResult()
    for line in stream:
        line = line.strip()
        if not line:
            continue
        result.events += 1
        reason = engine.ingest(line, event_clock=True).reason
        if reason is not None:
            result.rejected[reason] += 1
        if progress is not None and result.events % 10_000 == 0:
            progress.update(stream.tell() if stream.seekable() else result.events)
    return result


def replay(path: str | Path, policies: PolicySet, show_progress: bool = False) -> ReplayResult:
    exporter = Exporter()
    engine = Engine(policies, exporter)
    exporter.watch(engine, now=lambda: engine.now)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, progress needs the handle
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        total = os.fstat(stream.fileno()).st_size
        progress = Progress("replay", total, unit="bytes") if show_progress else None
        result = run_file(stream, engine, progress)
        if progress is not None:
            progress.done(f"{result.events:,} events, {sum(result.rejected.values()):,} rejected")
    result.exposition = exporter.exposition()
    return result


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    result = replay(args.file, policies, show_progress=sys.stderr.isatty())
    if args.out in (None, "-"):
        sys.stdout.buffer.write(result.exposition)
        sys.stdout.flush()
    else:
        try:
            Path(args.out).write_bytes(result.exposition)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    if result.rejected:
        summary = ", ".join(f"{reason}={n}" for reason, n in sorted(result.rejected.items()))
        print(f"servicepulse: {result.events} events, rejected: {summary}", file=sys.stderr)
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
    parser.set_defaults(func=command)
