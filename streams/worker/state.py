"""The worker's state, free of Faust: one engine per partition + input offsets + changelog.

Each owned input partition has its own :class:`Partition`: an engine holding its tickets
and deadlines, and its tally (``tally.py``), the partition's counters since its first
event. Every fact of a partition's tickets, including a breach found by the clock,
lands in that partition's tally; the process's exporter (``/metrics``) sums the
tallies when scraped (``tally.ProcessFigures``). Moving a partition moves its engine
whole: ``drop`` forgets it, ``load`` builds it from the changelog. The engines share one team bound.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, NamedTuple

import orjson

from streams.core.backlog import DeadlineFigures, Gauges, backlog_figures
from streams.core.engine import Engine
from streams.core.policy import PolicySet
from streams.core.records import RecordSink
from streams.core.staffing import with_planned
from streams.core.ticket import INF, Ticket
from streams.export.catalogue import BY_NAME
from streams.export.exporter import Exporter
from streams.kafka.settings import Settings
from streams.worker import records
from streams.worker.offsets import Offsets, Rewind
from streams.worker.tally import PartitionTally, ProcessFigures, series_from_key

LAG_BOUNDS = BY_NAME["event_lag_seconds"].buckets
IDLE_SECONDS = 2.0  # --clock event: a partition at its end this long holds the clock no more


class Partition:
    """One input partition's share of the worker: its engine, its tally, what to write."""

    __slots__ = ("engine", "number", "repairs", "tally", "tombstones", "touched")

    def __init__(self, number: int, engine: Engine, tally: PartitionTally) -> None:
        self.number = number
        self.engine = engine
        self.tally = tally
        self.touched: set[str] = set()  # tickets whose state must be written to the changelog
        self.tombstones: list[str] = []  # tickets forgotten (their records become tombstones)
        self.repairs: list[tuple[bytes, bytes | None]] = []  # see State.load


class Loaded(NamedTuple):
    """Partitions built from the changelog (:meth:`State.build`), to install."""

    partitions: dict[int, Partition]
    positions: dict[int, tuple[float | None, int]]  # partition -> its clock record's (ts, offset)
    tickets: int


class Builder:
    """Partitions being built from changelog entries (key, value), in as many slices as wanted."""

    def __init__(self, parts: dict[int, Partition]) -> None:
        self.parts = parts
        self.positions: dict[int, tuple[float | None, int]] = {}
        self.loaded = 0
        self.adopted: dict[bytes, bytes | None] = {}

    def add(self, items: Iterable[tuple[bytes, bytes | None]]) -> None:
        parts, positions, adopted = self.parts, self.positions, self.adopted
        decode, is_clock, is_series = records.decode, records.is_clock, records.is_series
        rows: dict[int, list[tuple[str, list[Any]]]] = {number: [] for number in parts}
        for key, value in items:
            if not value:  # a tombstone
                continue
            partition, version, body = decode(value)
            part = parts.get(partition)
            if part is None:
                continue
            adopted[key] = value
            special = key[:1] == b"\x00"  # a clock or a series record (no ticket id is)
            if special and is_clock(key):
                ts, offset = body
                positions[partition] = (ts, offset)
            elif special and is_series(key):
                part.tally.restore(series_from_key(key[len(records.SERIES_KEY) :]), body)
            elif version >= records.ROWS:
                rows[partition].append((key.decode(), body))
            else:  # written before format 2 (Ticket.to_state): loaded in the same order
                self._load_rows(part, rows[partition])
                part.engine.load(body)
                self.loaded += 1
        for partition, batch in rows.items():
            self._load_rows(parts[partition], batch)

    def _load_rows(self, part: Partition, batch: list[tuple[str, list[Any]]]) -> None:
        if batch:
            self.loaded += part.engine.load_rows(batch)
            batch.clear()

    def finish(self, tail: Iterable[tuple[int, bytes]] = ()) -> Loaded:
        for partition, key in tail:
            if partition in self.parts:
                self.parts[partition].repairs.append((key, self.adopted.get(key)))
        return Loaded(self.parts, self.positions, self.loaded)


class State:
    """Partitions + input offsets (unit-testable without Kafka)."""

    def __init__(self, settings: Settings, policies: PolicySet) -> None:
        self.settings = settings
        self.policies = policies
        self.exporter = Exporter()
        self.figures = ProcessFigures(self.exporter)  # its counters: the tallies' sums
        self.teams = policies.team_bound()
        self.partitions: dict[int, Partition] = {}
        self.offsets = Offsets()  # the input offsets applied (offsets.py)
        self.outcomes: RecordSink | None = None  # the outcomes ledger (Worker sets it)
        self.expired = 0
        self.latest_ts: dict[int, float] = {}  # per partition: latest event time seen
        self.idle_since: dict[int, float] = {}  # per partition: read to its end since (monotonic)
        self.dead_letters: list[tuple[bytes | None, bytes, str, str]] = []
        self._message: Any = None  # the message being processed (for the DLQ)
        self.now = -INF  # the clock the engines were last advanced to
        self.batches = 0
        self.events = 0
        self.state_writes = 0

    # the offsets' figures, under the names the health page and tests use
    @property
    def last_offset(self) -> dict[int, int]:
        return self.offsets.last_offset

    @property
    def written_offset(self) -> dict[int, int]:
        return self.offsets.written_offset

    @property
    def rewinds(self) -> dict[int, Rewind]:
        return self.offsets.rewinds

    @property
    def skipped(self) -> int:
        return self.offsets.skipped

    @property
    def rewound(self) -> int:
        return self.offsets.rewound

    # ---- the partitions' tickets, as one ---------------------------------------------------

    @property
    def loaded(self) -> set[int]:
        """Partitions whose state is in the engines."""
        return set(self.partitions)

    @property
    def tickets(self) -> dict[str, Ticket]:
        """Every ticket held (a new dict: for counts and tests, not the hot path)."""
        return dict(chain.from_iterable(p.engine.tickets.items() for p in self.partitions.values()))

    def ticket_count(self) -> int:
        return sum(len(p.engine.tickets) for p in self.partitions.values())

    def open_count(self) -> int:
        return sum(len(p.engine.open) for p in self.partitions.values())

    def open_tickets(self) -> Iterator[Ticket]:
        return chain.from_iterable(list(p.engine.open.values()) for p in self.partitions.values())

    def holds(self, ticket_id: str) -> bool:
        return any(ticket_id in p.engine.tickets for p in self.partitions.values())

    def backlog(self, now: float) -> tuple[Gauges, DeadlineFigures]:
        """The exporter's gauge source: the backlog of every owned partition, one pass."""
        parts = list(self.partitions.values())
        held = sum(p.engine.held_events for p in parts)
        gauges, figures = backlog_figures(self.open_tickets(), now, self.policies.at_risk, held)
        agents: Counter[tuple[str, str]] = Counter()
        for part in parts:  # an agent's statuses share its key, so one partition
            agents.update(part.engine.presence.counts())
        # the plan (policy ``staffing``) only for teams no partition has agent.status for
        gauges.agents = with_planned(agents, self.policies.staffing, now)
        return gauges, figures

    # ---- processing --------------------------------------------------------------------------

    def _rejected(self, raw: Any, reason: str) -> None:
        message = self._message
        if isinstance(raw, dict):  # a held event released later: the original bytes are gone
            raw = orjson.dumps(raw)
        elif isinstance(raw, str):
            raw = raw.encode()
        if message is not None:
            key = message.key
            source = f"{message.topic}/{message.partition}/{message.offset}"
        else:
            key, source = None, ""
        self.dead_letters.append((key, raw, reason, source))

    def process(self, messages: Iterable[Any], wall: float) -> None:
        """Apply a batch of Kafka messages (``.value``, ``.key``, ``.partition``, ``.offset``).

        Offsets are applied in order, each once (:class:`~streams.worker.offsets.Offsets`):
        re-deliveries are skipped, a message past a hole is not applied and the partition
        gets a rewind the worker acts on. Each goes to its partition's engine.
        """
        partitions = self.partitions
        latest_ts = self.latest_ts
        offsets = self.offsets
        admit, last_offset, rewinds = offsets.admit, offsets.last_offset, offsets.rewinds
        lags: list[float] = []
        lag = lags.append
        count = 0
        number = -1  # the partition of the messages being applied (a batch runs by partition)
        following = -1  # the offset ``admit`` would take next from it, if nothing is rewound
        latest = -INF  # latest_ts of partition ``number``, written back when it changes
        ingest: Any = None
        tickets: dict[str, Ticket] = {}
        touch: Any = None
        try:
            for message in messages:
                count += 1
                partition, offset = message.partition, message.offset
                if partition == number and offset == following and not rewinds:
                    last_offset[partition] = offset  # what admit does with the next offset
                elif not admit(partition, offset):
                    continue
                elif partition != number:
                    if latest > latest_ts.get(number, -INF):
                        latest_ts[number] = latest
                    number = partition
                    part = partitions[partition]
                    ingest, tickets, touch = (
                        part.engine.ingest,
                        part.engine.tickets,
                        part.touched.add,
                    )
                    latest = latest_ts.get(partition, -INF)
                following = offset + 1
                self._message = message
                event, reason = ingest(message.value)
                if event is None:
                    continue
                ts = event.ts
                if ts > latest:
                    latest = ts
                if reason is None:
                    lag(wall - ts)
                ticket_id = event.ticket_id
                if ticket_id in tickets:
                    touch(ticket_id)
        finally:
            if latest > latest_ts.get(number, -INF):
                latest_ts[number] = latest
            self._message = None
        self._observe_lags(lags)
        self.batches += 1
        self.events += count

    def _observe_lags(self, lags: list[float]) -> None:
        """The batch's ``event_lag_seconds``, in one pass (a call per event cost ~4 %)."""
        histogram = self.exporter.histograms["event_lag_seconds"][()]
        edges = LAG_BOUNDS
        buckets = histogram.buckets
        total = 0.0
        for seconds in lags:
            seconds = max(0.0, seconds)
            buckets[bisect_left(edges, seconds)] += 1  # le is inclusive, as Exporter.observe
            total += seconds
        histogram.sum += total
        histogram.count += len(lags)

    def expect(self, partition: int, offset: int = 0) -> None:
        self.offsets.expect(partition, offset)

    def watermark(self, highwater: dict[int, int | None], now: float | None = None) -> float | None:
        """Event clock: the least latest-event-time over the owned partitions still being read.

        A partition read up to its high-water mark for ``IDLE_SECONDS`` holds nothing back;
        when all are, the clock is the latest event time seen (replay's clock at the end of
        a file). The wait keeps a partition that merely caught up with a live producer (its
        high-water mark is as old as the last fetch) from letting the clock run ahead of
        events still on their way.
        """
        now = time.monotonic() if now is None else now
        idle_since = self.idle_since
        lagging = []
        latest = -INF
        for partition in self.partitions:
            ts = self.latest_ts.get(partition, -INF)
            latest = max(latest, ts)
            end = highwater.get(partition)
            if end is None or end > self.last_offset.get(partition, -1) + 1:
                idle_since.pop(partition, None)
                lagging.append(ts)
            elif now - idle_since.setdefault(partition, now) < IDLE_SECONDS:
                lagging.append(ts)
        if lagging:
            low = min(lagging)
            return None if low == -INF else low
        return None if latest == -INF else latest

    def advance(self, now: float) -> None:
        """Every partition's clock to ``now``: breaches are counted in their partition."""
        self.now = max(self.now, now)
        for part in self.partitions.values():
            part.touched.update(part.engine.advance(now))

    def expire(self, retention: float) -> int:
        """Forget tickets nothing more can happen to (``Engine.expire`` at the clock).

        Their changelog records become tombstones; events still held for a ticket that
        never came are rejected ``no_ticket`` (to the dead-letter topic).
        """
        if self.now == -INF:
            return 0
        expired = 0
        for part in self.partitions.values():
            gone = part.engine.expire(self.now, retention)
            for ticket_id in gone:
                part.touched.discard(ticket_id)
            part.tombstones.extend(gone)
            expired += len(gone)
        self.expired += expired
        return expired

    def take_touched(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(partition, key, value) changelog records of what changed (and clears it).

        Per partition: repairs, tombstones (a ticket id used again afterwards is written
        after its tombstone), touched tickets, changed tally series, and last the clock
        record: where that partition's state resumes. Every partition with a record gets
        a clock record, so a flush of a partition is complete exactly when its clock
        record is in the changelog (``recovery.py``).
        """
        dumps = orjson.dumps
        moved = dict(self.offsets.moved())
        for number, part in self.partitions.items():
            series = list(part.tally.take_dirty(number))
            written = bool(part.repairs or part.tombstones or part.touched or series)
            for key, value in part.repairs:
                yield number, key, value
            part.repairs.clear()
            for dead_id in part.tombstones:
                yield number, dead_id.encode(), None
            part.tombstones.clear()
            tickets = part.engine.tickets
            head = records.prefix(number)
            for ticket_id in part.touched:
                ticket = tickets.get(ticket_id)
                if ticket is not None:
                    yield number, ticket_id.encode(), head + dumps(ticket.to_row())
            part.touched.clear()
            for key, body in series:
                yield number, key, head + dumps(body)
            if written or number in moved:
                offset = self.offsets.last_offset[number]
                key, value = records.encode_clock(number, self.latest_ts.get(number), offset)
                yield number, key, value

    # ---- partition moves -------------------------------------------------------------------

    def load(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        partitions: set[int],
        tail: Iterable[tuple[int, bytes]] = (),
    ) -> int:
        """Adopt the stored state of ``partitions`` from (key, value) changelog entries.

        ``tail``: (partition, key) of the records after a partition's last clock record,
        which the read left out (a flush cut short). Their keys are written again with
        the value adopted here (a tombstone if none), before anything else of the
        partition, so the changelog reads the same to the next owner.
        """
        return self.install(self.build(items, partitions, tail))

    def build(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        partitions: set[int],
        tail: Iterable[tuple[int, bytes]] = (),
    ) -> Loaded:
        """The partitions of :meth:`load`, built but not installed (nothing here changes)."""
        builder = self.builder(partitions)
        builder.add(items)
        return builder.finish(tail)

    def builder(self, partitions: set[int]) -> Builder:
        """A :meth:`build` fed in slices (the read ahead lets the event loop run between them)."""
        return Builder({p: self._partition(p) for p in partitions})

    def install(self, loaded: Loaded) -> int:
        """Make built partitions this state's (their positions too); the tickets they hold."""
        for partition, part in loaded.partitions.items():
            part.engine.records = self.outcomes
            part.engine.now = self.now  # deadlines already past are counted at the next advance
            position = loaded.positions.get(partition)
            if position is not None:
                ts, offset = position
                if ts is not None:
                    self.latest_ts[partition] = max(ts, self.latest_ts.get(partition, -INF))
                self.offsets.adopt(partition, offset)
        self.figures.remove(
            [self.partitions[p].tally for p in loaded.partitions if p in self.partitions]
        )
        for part in loaded.partitions.values():
            self.figures.add(part.tally)
        self.partitions.update(loaded.partitions)
        return loaded.tickets

    def _partition(self, number: int) -> Partition:
        tally = PartitionTally()
        engine = Engine(self.policies, tally, on_reject=self._rejected, teams=self.teams)
        engine.records = self.outcomes
        engine.now = self.now  # deadlines already past are counted at the next advance
        return Partition(number, engine, tally)

    def drop(self, partitions: set[int]) -> int:
        """Forget the tickets of ``partitions`` (moved to another worker)."""
        dropped = 0
        gone = []
        for partition in partitions:
            part = self.partitions.pop(partition, None)
            if part is not None:
                dropped += len(part.engine.tickets)
                gone.append(part.tally)
            self.latest_ts.pop(partition, None)
            self.idle_since.pop(partition, None)
        self.figures.remove(gone)
        self.offsets.forget(partitions)
        return dropped
