"""``servicepulse backfill``: a JSONL history as Prometheus TSDB blocks.

The events go through the same engine as ``replay`` (``Engine.ingest(raw, event_clock=True)``).
Every ``step`` of event time the exporter's series and the gauges are written, timestamped,
as OpenMetrics (``streams.export.openmetrics``), one file per 18 h span, and each becomes
one block with ``promtool tsdb create-blocks-from openmetrics --max-block-duration=18h``
while the next span is being written. 18 h is a TSDB block range (2 h x 3^n): promtool cuts
blocks on multiples of it from the epoch, so a span aligned the same way is exactly one
block (with 24 h, promtool uses 18 h blocks anyway and most days make two). Memory is one
snapshot, the open tickets and a line count per ticket (a file is read twice: the first
pass counts each ticket's lines, and a ticket no longer open is forgotten after its last
one); the span's spool is on disk.

History equals replay: the engine sees the same events in the same order with the same
clock decisions as in ``replay`` (the sampler asks the engine's ``EventClock`` rule before
sampling, and puts the clock back after each sample), and the end of input settles as
``replay`` does, so the last sample's counters are ``replay``'s. A stretch without events
longer than ``MAX_QUIET`` (a stray line dated 1970 or 2099) is not sampled: one line on
stderr instead of decades of samples. Lines are read with ``replay``'s bounded reader.

The recording rules' series for the same span come from ``promtool tsdb create-blocks-from
rules``, run against a temporary Prometheus started on the new blocks (``history_rules``).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from streams.commands.history_rules import DEFAULT_RULES, backfill_rules
from streams.commands.replay import jsonl_lines
from streams.console.progress import Progress
from streams.core.deadlines import EventClock
from streams.core.engine import Engine
from streams.core.events import Rejected, parse
from streams.core.policy import PolicySet, load_policies
from streams.core.ticket import OPEN, ORPHAN
from streams.errors import UserError
from streams.export.openmetrics import Chunk, SnapshotWriter, TrackingExporter

DAY = 86400.0
SPAN = 18 * 3600.0  # one block each; see the module docstring
MAX_QUIET = 31 * DAY  # a longer stretch without events is not sampled (docs/history.md)
MAX_PENDING = 1000  # far-ahead events waiting for the engine's verdict on their time
SKIPS_SHOWN = 3  # skipped stretches reported one line each; the rest in the summary


@dataclass
class BackfillResult:
    events: int = 0
    rejected: int = 0  # every rejection, held events rejected at the end included
    reasons: Counter[str] = field(default_factory=Counter)  # rejected, by reason
    processed: int = 0
    duplicates: int = 0
    snapshots: int = 0
    samples: int = 0
    blocks: int = 0
    rule_blocks: int = 0
    start: float | None = None  # first and last sampled instants
    end: float | None = None
    skipped: int = 0  # stretches without events longer than MAX_QUIET, not sampled
    skipped_seconds: float = 0.0
    forgotten: int = 0  # finished tickets forgotten after their last line
    spans: list[int] = field(default_factory=list)  # the 18 h spans sampled (one block each)
    counters: dict[str, dict[tuple[str, ...], float]] = field(default_factory=dict)  # final

    def summary(self) -> str:
        """processed + duplicates + rejected = events, as ``replay`` says it."""
        line = f"{self.events:,} events: {self.processed:,} processed, "
        line += f"{self.duplicates:,} duplicates, {self.rejected:,} rejected"
        if self.reasons:
            line += " (" + ", ".join(f"{r}={n:,}" for r, n in sorted(self.reasons.items())) + ")"
        return line


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise UserError(
            "promtool not found on PATH: it turns the samples into TSDB blocks "
            "(Debian/Ubuntu: apt install prometheus; or the release tarball from prometheus.io)"
        )
    return found


def parse_step(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip()
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"invalid step {text!r} (e.g. 60s, 5m)") from None
    if not 1 <= seconds <= 3600 or seconds != int(seconds):
        raise argparse.ArgumentTypeError("step must be whole seconds from 1s to 1h")
    return seconds


def _stamp(t: float) -> str:
    return f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M}"


class Sampler:
    """Engine on the event clock, sampled every ``step`` into one OpenMetrics chunk per span.

    The sampled time follows the time the engine believes (``EventClock``, docs/engine.md):
    an event more than a day ahead of the engine's clock waits (``_pending``, not yet
    ingested) until the engine's rule decides — a second ticket confirms the time, and the
    stretch up to it is sampled first, or an event at the clock's time comes and the
    far-ahead one is applied to its own ticket without moving anything. A stretch without
    events longer than ``MAX_QUIET`` is not sampled (one line on stderr): a stray line
    dated 1970 or 2099 costs one sample, not decades of them. The event that confirms a
    jump is applied when it comes, as in ``replay``; when it is later than the time believed
    (the first ticket's), the samples between the two hold it already (at most a day, and
    only right after a day without events).

    ``lines_left`` (lines still to come per ticket, keyed by ``hash(ticket_id)``, from a
    first pass over the file) lets the sampler forget a ticket that is no longer open once
    its last line is in: nothing can happen to it any more, so the counters stay those of
    ``replay``, which keeps every ticket. Without it (a generator, e.g. the demo's history)
    every ticket is kept, as in ``replay``.
    """

    def __init__(
        self,
        policies: PolicySet,
        step: float,
        out: Path,
        work: Path,
        lines_left: dict[int, int] | None = None,
    ) -> None:
        self.exporter = TrackingExporter()
        self.engine = Engine(policies, self.exporter)
        self.gauges = self.exporter.watch(self.engine, now=lambda: self.engine.now)
        self.writer = SnapshotWriter(self.exporter)
        self.step = step
        self.out = out
        self.work = work
        self.promtool = promtool()
        self.result = BackfillResult()
        self.lines_left = lines_left
        self._belief = EventClock()  # the engine's rule, asked before the engine is
        self._pending: list[tuple[bytes | dict[str, Any], float | None]] = []  # (raw, ts)
        self._next: float | None = None  # the next sampling instant
        self._chunk: Chunk | None = None
        self._day = -1
        self._promtool: subprocess.Popen[bytes] | None = None
        self._promtool_path = Path()

    def feed(self, raw: bytes | dict[str, Any]) -> None:
        self.result.events += 1
        try:
            event = parse(raw)
        except Rejected:  # the engine rejects it; it moves no clock
            self._pending.append((raw, None))
            if len(self._pending) == 1 or len(self._pending) >= MAX_PENDING:
                self._flush()
            return
        self._pending.append((raw, event.ts))
        now = self.engine.now
        believed = self._belief.believe(now, event.ts, event.ticket_id)
        if believed == now and event.ts > now:  # far ahead, not (yet) believed: wait
            if len(self._pending) >= MAX_PENDING:
                self._flush()
            return
        self._flush(believed)

    def _flush(self, believed: float | None = None) -> None:
        """Ingest the waiting events in their order, each after the samples before its time
        (up to ``believed``, the time the engine will believe; none without it)."""
        pending, self._pending = self._pending, []
        for raw, ts in pending:
            if believed is not None and ts is not None:
                self._sample_until(min(ts, believed))
            self.engine.ingest(raw, event_clock=True)
            if self.lines_left is not None:
                self._forget_if_done(raw)

    def _forget_if_done(self, raw: bytes | dict[str, Any]) -> None:
        ticket_id = ticket_of(raw)
        if ticket_id is None:
            return
        key = hash(ticket_id)
        assert self.lines_left is not None
        left = self.lines_left.get(key, 0) - 1
        if left > 0:
            self.lines_left[key] = left
            return
        self.lines_left.pop(key, None)
        ticket = self.engine.tickets.get(ticket_id)
        if ticket is not None and ticket.state not in (OPEN, ORPHAN):
            self.engine.drop(ticket_id)  # its last line is in: nothing more can happen to it
            self.result.forgotten += 1

    def _sample_until(self, target: float) -> None:
        """Every sampling instant before ``target``; a long stretch without events skipped."""
        if self._next is None:
            self._next = math.floor(target / self.step) * self.step
        elif target - self._next > MAX_QUIET:
            self._sample(self._next)  # the state after the last event before the stretch
            resume = math.floor(target / self.step) * self.step
            self._skipped(self._next + self.step, resume)
            self._next = resume
        while self._next < target:
            self._sample(self._next)
            self._next += self.step

    def _skipped(self, start: float, end: float) -> None:
        self.result.skipped += 1
        self.result.skipped_seconds += end - start
        if self.result.skipped <= SKIPS_SHOWN:
            print(
                f"backfill: no events from {_stamp(start)} to {_stamp(end)} UTC "
                f"({(end - start) / DAY:,.0f} days, more than {MAX_QUIET / DAY:.0f}): not sampled",
                file=sys.stderr,
            )

    def _sample(self, t: float, advance: bool = True) -> None:
        """The state at ``t``: every event up to ``t`` in, none after it.

        The engine's clock is moved to ``t`` for the sample (the breaches due by then are
        counted, as ``replay`` counts them at its next event) and put back afterwards: the
        engine judges the next event's time from the clock ``replay`` would have.
        """
        engine = self.engine
        clock = engine.now
        if advance:
            engine.advance(t)
        day = int(t // SPAN)
        if day != self._day:
            self._close_chunk()
            self._day = day
            self._chunk = Chunk(self.work / f"span-{day}.om")
            self.result.spans.append(day)
        assert self._chunk is not None
        self.writer.write(self._chunk, t, self.gauges.collect())
        engine.now = clock
        self.result.snapshots += 1
        if self.result.start is None:
            self.result.start = t
        self.result.end = t

    def _close_chunk(self) -> None:
        if self._chunk is None:
            return
        path = self._chunk.close()
        self.result.samples += self._chunk.samples
        self._chunk = None
        self._wait()  # one promtool at a time, working while the next span is sampled
        self._promtool_path = path
        self._promtool = subprocess.Popen(
            [
                *(self.promtool, "tsdb", "create-blocks-from", "openmetrics"),
                *("--max-block-duration=18h", "-q", str(path), str(self.out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.result.blocks += 1

    def _wait(self) -> None:
        if self._promtool is None:
            return
        _, err = self._promtool.communicate()
        path = self._promtool_path
        if self._promtool.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"promtool failed on {path.name}: {last[0]}")
        path.unlink(missing_ok=True)
        self._promtool = None

    def finish(self) -> BackfillResult:
        """End of input as in ``replay``: the waiting events in, held ones rejected
        ``no_ticket``; a last sample at the first step at or after the engine's clock, with
        the engine's clock where ``replay`` leaves it (no breach counted beyond it)."""
        self._flush()
        engine = self.engine
        if self._next is not None:
            end = max(self._next, math.ceil(engine.now / self.step) * self.step)
            self._sample_until(end)
            engine.advance(engine.now)
            engine.settle()
            self._sample(end, advance=False)
            self._next = end + self.step
        self._close_chunk()
        self._wait()
        self._tally()
        return self.result

    def _tally(self) -> None:
        """Every line's fate as the exporter counted it (as ``replay``'s summary)."""
        counters = self.exporter.counters
        result = self.result
        result.processed = int(sum(counters["events_processed"].values()))
        result.duplicates = int(counters["events_duplicate"].get((), 0.0))
        result.reasons = Counter(
            {labels[0]: int(n) for labels, n in counters["events_rejected"].items() if n}
        )
        result.rejected = sum(result.reasons.values())
        result.counters = {name: dict(series) for name, series in counters.items()}

    def abort(self) -> None:
        if self._chunk is not None:
            self._chunk.discard()
        if self._promtool is not None:
            self._promtool.kill()
            self._promtool.wait()


def ticket_of(raw: bytes | dict[str, Any]) -> str | None:
    """The ``ticket_id`` of a raw event, if it has a readable one (the engine judges the rest)."""
    try:
        event = raw if isinstance(raw, dict) else orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    ticket_id = event.get("ticket_id") if isinstance(event, dict) else None
    return ticket_id if isinstance(ticket_id, str) else None


def backfill_events(
    events: Iterable[bytes | dict[str, Any]],
    policies: PolicySet,
    out: str | Path,
    step: float = 60.0,
    show_progress: bool = False,
    total: int | None = None,
    rules: str | Path | None = DEFAULT_RULES,
) -> BackfillResult:
    """Events (JSON lines or dicts, in time order) -> raw and rule blocks in ``out``.

    ``events`` from :func:`history_lines` are read twice: first to count each ticket's
    lines, so that a finished ticket is forgotten after its last one (memory: a counter per
    ticket instead of the ticket); any other iterable is read once and every ticket kept.
    """
    out = Path(out)
    if rules is not None and not Path(rules).is_file():
        print(f"backfill: no recording rules at {rules}; raw series only", file=sys.stderr)
        rules = None
    lines_left = events.ticket_lines() if isinstance(events, HistoryFile) else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(os.fspath(out) + ".work")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror}") from None
    sampler = Sampler(policies, step, out, work, lines_left)
    progress = Progress("backfill", total, unit="events") if show_progress else None
    done = 0
    try:
        for raw in events:
            sampler.feed(raw)
            done += 1
            if progress is not None and done % 5000 == 0:
                progress.update(done, f"{sampler.result.blocks} blocks")
        result = sampler.finish()
    except BaseException:
        sampler.abort()
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:
        progress.done(
            f"{result.events:,} events, {result.samples:,} samples, {result.blocks} blocks"
        )
    try:
        if rules is not None and result.spans:
            result.rule_blocks = backfill_rules(
                out, work, Path(rules), result.spans, result.start or 0.0, result.end or 0.0,
                step, show_progress,
            )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


class HistoryFile:
    """The non-blank lines of a JSONL file, read with ``replay``'s bounded reader; iterable
    again (backfill reads it twice). A file that cannot be read is a one-line error."""

    def __init__(self, path: str | Path) -> None:
        self.path = os.fspath(path)

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror}") from None

    def __iter__(self) -> Iterator[bytes]:
        with self._open() as stream:
            for line in jsonl_lines(stream):
                line = line.strip()
                if line:
                    yield line

    def ticket_lines(self) -> dict[int, int]:
        """Lines per ticket, keyed by ``hash(ticket_id)`` (this process's hash: compact; two
        ids sharing a key only keep both tickets until both are done)."""
        counts: dict[int, int] = {}
        for line in self:
            ticket_id = ticket_of(line)
            if ticket_id is not None:
                key = hash(ticket_id)
                counts[key] = counts.get(key, 0) + 1
        return counts


def history_lines(path: str | Path) -> HistoryFile:
    return HistoryFile(path)


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    promtool()  # fail before reading anything
    rules = None if args.no_rules else args.rules
    if rules is not None and not Path(rules).is_file():
        raise UserError(
            f"cannot read the recording rules {rules} (give --rules FILE or --no-rules)"
        )
    try:
        size = os.path.getsize(args.file)
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    show = sys.stderr.isatty() or args.progress
    result = backfill_events(
        history_lines(args.file), policies, args.out, args.step, show, total=None, rules=rules
    )
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
    parser.add_argument("--progress", action="store_true", help="progress even when not a tty")
    parser.set_defaults(func=command)


def load_history(path: str, data_dir: str | Path, policy: str | None = None) -> BackfillResult:
    """``stack up --history``: the file's blocks straight into a (stopped) Prometheus's data."""
    print(f"history: backfilling {path} into {data_dir} ...", file=sys.stderr, flush=True)
    return backfill_events(
        history_lines(path), load_policies(policy), data_dir, show_progress=sys.stderr.isatty()
    )
