"""A JSONL file of contract events through the engine, on the event clock (``replay``).

At the end of the file the engine settles: its clock is the final (believed)
event time, so the last tickets' breaches are counted, and events still held
for a ``ticket.created`` that never came are rejected ``no_ticket``. The
summary accounts for every non-blank line: processed + duplicates +
rejected = lines.

A line longer than ``MAX_EVENT_BYTES`` (64 KiB) is rejected ``too_large``
without being read into memory; a line longer than ``MAX_LINE_BYTES`` (16
MiB, e.g. ``/dev/zero``) is not a JSONL file: a one-line error. ``servicepulse
replay`` (streams/commands/replay.py), ``backfill`` and ``whatif`` read files with it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from streams.console.progress import Progress
from streams.core.engine import Engine
from streams.core.events import MAX_EVENT_BYTES
from streams.core.policy import PolicySet
from streams.errors import UserError
from streams.export.exporter import Exporter
from streams.ledger.sink import Ledger

MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass
class ReplayResult:
    events: int = 0  # non-blank lines
    rejected: Counter[str] = field(default_factory=Counter)
    processed: int = 0
    duplicates: int = 0
    held: int = 0
    exposition: bytes = b""

    def summary(self) -> str:
        line = (
            f"{self.events} lines: {self.processed} processed, {self.duplicates} duplicates, "
            f"{self.held} held"
        )
        if self.rejected:
            reasons = ", ".join(f"{reason}={n}" for reason, n in sorted(self.rejected.items()))
            line += f", rejected: {reasons}"
        return line


def jsonl_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of ``stream``; one longer than an event may be is cut to its first bytes.

    A line is read at most ``MAX_EVENT_BYTES + 1`` bytes at a time, so memory stays bounded
    whatever the file; a line without end beyond ``MAX_LINE_BYTES`` is a one-line error.
    ``backfill`` reads its history with this too.
    """
    while True:
        line = stream.readline(MAX_EVENT_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_EVENT_BYTES and not line.endswith(b"\n"):
            size = len(line)
            while True:  # skip the rest of the line, in bounded reads
                rest = stream.readline(MAX_EVENT_BYTES)
                size += len(rest)
                if size > MAX_LINE_BYTES:
                    raise UserError(f"a line is longer than {MAX_LINE_BYTES >> 20} MiB: not JSONL")
                if not rest or rest.endswith(b"\n"):
                    break
        yield line


def run_file(stream: BinaryIO, engine: Engine, progress: Progress | None = None) -> ReplayResult:
    """Feed every line of ``stream`` to ``engine``, advancing the event clock as events come."""
    result = ReplayResult()
    rejected, take = result.rejected, engine.take
    events = 0
    for line in jsonl_lines(stream):
        line = line.strip()
        if not line:
            continue
        events += 1
        reason = take(line, True)
        if reason is not None:
            rejected[reason] += 1
        if progress is not None and events % 10_000 == 0:
            progress.update(stream.tell() if stream.seekable() else events)
    result.events += events
    return result


def settle(engine: Engine) -> None:
    """End of file: count the breaches due by the final event clock, reject what is held."""
    engine.advance(engine.now)
    engine.settle()


def account_lines(exporter: Exporter, engine: Engine, result: ReplayResult) -> None:
    """Every line's fate as the exporter counted it (held events released later included)."""
    counters = exporter.counters
    result.processed = int(sum(counters["events_processed"].values()))
    result.duplicates = int(counters["events_duplicate"].get((), 0.0))
    result.rejected = Counter(
        {labels[0]: int(n) for labels, n in counters["events_rejected"].items() if n}
    )
    result.held = int(engine.gauges(engine.now).orphan_events)


def replay(
    path: str | Path,
    policies: PolicySet,
    show_progress: bool = False,
    ledger: Ledger | None = None,
) -> ReplayResult:
    """Replay ``path``; with a ``ledger``, every record goes there too (closed at the end)."""
    exporter = Exporter()
    engine = Engine(policies, exporter)
    engine.records = ledger
    exporter.watch(engine, now=lambda: engine.now)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, progress needs the handle
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        total = os.fstat(stream.fileno()).st_size
        progress = Progress("replay", total, unit="bytes") if show_progress else None
        result = run_file(stream, engine, progress)
        settle(engine)
        account_lines(exporter, engine, result)
        if progress is not None:
            progress.done(f"{result.events:,} events, {sum(result.rejected.values()):,} rejected")
    result.exposition = exporter.exposition()
    if ledger is not None:
        ledger.close()
    return result
