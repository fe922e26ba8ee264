"""The engine on the event clock, sampled every ``step`` into one OpenMetrics chunk per span.

The events go through the same engine as ``replay`` (``Engine.ingest(raw, event_clock=True)``).
Every ``step`` of event time the exporter's series and the gauges are sampled; each series
is written where it changes (``ChangeWriter``, docs/history.md) into one file per 18 h span,
and each file becomes one block with ``promtool`` (``blocks.py``) while the next span is
being written. 18 h is a TSDB block range (2 h x 3^n): promtool cuts blocks on multiples
of it from the epoch, so a span aligned the same way is exactly one block. Memory is one
snapshot, the open tickets and a line count per ticket; the span's spool is on disk.

History equals replay: the engine sees the same events in the same order with the same
clock decisions as in ``replay`` (the sampler asks the engine's ``EventClock`` rule before
sampling, and puts the clock back after each sample), and the end of input settles as
``replay`` does, so the last sample's counters are ``replay``'s. A stretch without events
longer than ``MAX_QUIET`` (a stray line dated 1970 or 2099) is not sampled: one line on
stderr instead of decades of samples.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from streams.core.deadlines import EventClock
from streams.core.engine import Engine
from streams.core.events import Rejected, parse
from streams.core.policy import PolicySet
from streams.core.ticket import OPEN, ORPHAN
from streams.export.openmetrics import ChangeWriter, Chunk, TrackingExporter
from streams.history.blocks import SPAN, BlockMaker
from streams.history.gauges import SampledGauges
from streams.history.source import ticket_of

DAY = 86400.0
MAX_QUIET = 31 * DAY  # a longer stretch without events is not sampled (docs/history.md)
REFRESH = 150.0  # at most this between two samples of a series (ChangeWriter)
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


def sampled_seconds(times: Iterable[float]) -> float:
    """The event time a history of these event times has sampled: first to last, without
    the stretches longer than ``MAX_QUIET`` (what the progress counts: a sample costs
    about the same whether a minute holds a hundred events or none)."""
    # sorted as 8-byte floats: a history of millions of lines, not millions of float objects
    gaps = np.diff(np.sort(np.fromiter(times, dtype=np.float64)))
    return float(gaps[gaps <= MAX_QUIET].sum())


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
        on_span_made: Callable[[int, float], None] | None = None,
        on_sample: Callable[[], None] | None = None,
    ) -> None:
        self.exporter = TrackingExporter()
        self.engine = Engine(policies, self.exporter)
        self.gauges = SampledGauges(self.engine, now=lambda: self.engine.now)
        self.writer = ChangeWriter(self.exporter, step)
        self.step = step
        self.refresh_every = max(1, int(REFRESH // step))  # steps between full samples
        self.out = out
        self.work = work
        self.on_span_made = on_span_made  # (span, first sample's time): its block is made
        self.on_sample = on_sample  # after each instant sampled (the progress: one event may
        # be followed by weeks of instants)
        self.blocks = BlockMaker(out, self._made if on_span_made else None)
        self.result = BackfillResult()
        self.lines_left = lines_left
        self._belief = EventClock()  # the engine's rule, asked before the engine is
        self._pending: list[tuple[bytes | dict[str, Any], float | None]] = []  # (raw, ts)
        self._next: float | None = None  # the next sampling instant
        self._chunk: Chunk | None = None
        self._previous: Chunk | None = None  # the last span's, open until the next sample
        self._day = -1
        self._last: float | None = None  # the last sampled instant

    @property
    def sampled(self) -> float:
        """Seconds of event time sampled so far (stretches skipped not counted)."""
        result = self.result
        if result.start is None or result.end is None:
            return 0.0
        return result.end - result.start - result.skipped_seconds

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
            if self.on_sample is not None:
                self.on_sample()

    def _skipped(self, start: float, end: float) -> None:
        self.result.skipped += 1
        self.result.skipped_seconds += end - start
        if self.result.skipped <= SKIPS_SHOWN:
            print(
                f"backfill: no events from {_stamp(start)} to {_stamp(end)} UTC "
                f"({(end - start) / DAY:,.0f} days, more than {MAX_QUIET / DAY:.0f}): not sampled",
                file=sys.stderr,
            )

    def _sample(self, t: float, advance: bool = True, full: bool = False) -> None:
        """The state at ``t``: every event up to ``t`` in, none after it.

        The engine's clock is moved to ``t`` for the sample (the breaches due by then are
        counted, as ``replay`` counts them at its next event) and put back afterwards: the
        engine judges the next event's time from the clock ``replay`` would have. Every
        series is written at the refresh instants, at the first sample of a span and after
        a skipped stretch; otherwise only what changed (``ChangeWriter``).
        """
        engine = self.engine
        clock = engine.now
        if advance:
            engine.advance(t)
        day = int(t // SPAN)
        contiguous = self._last is not None and t - self._last == self.step
        if day != self._day:
            self._open_chunk(day)
            full = True
        assert self._chunk is not None
        full = full or not contiguous or round(t / self.step) % self.refresh_every == 0
        before = self._previous if contiguous and self._previous is not None else None
        self.result.samples += self.writer.write(
            self._chunk, t, self.gauges.rows(), full=full, before=before
        )
        self._close_previous()
        engine.now = clock
        self._last = t
        self.result.snapshots += 1
        if self.result.start is None:
            self.result.start = t
        self.result.end = t

    def _open_chunk(self, day: float) -> None:
        """A new span's chunk; the last one stays open for the values written one step
        before the changes at the new span's first sample."""
        self._close_previous()
        self._previous = self._chunk
        self._day = int(day)
        self._chunk = Chunk(self.work / f"span-{self._day}.om")
        self.result.spans.append(self._day)

    def _close_previous(self) -> None:
        if self._previous is not None:
            self.blocks.make(self._previous.close())  # while the next span is sampled
            self._previous = None
            self.result.blocks = self.blocks.made

    def _made(self, path: Path) -> None:
        if self.on_span_made is not None and self.result.start is not None:
            self.on_span_made(int(path.stem.removeprefix("span-")), self.result.start)

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
            self._sample(end, advance=False, full=True)
            self._next = end + self.step
        self._close_previous()
        if self._chunk is not None:
            self.blocks.make(self._chunk.close())
            self._chunk = None
        self.blocks.wait()
        self.result.blocks = self.blocks.made
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
        for chunk in (self._chunk, self._previous):
            if chunk is not None:
                chunk.discard()
        self.blocks.abort()
