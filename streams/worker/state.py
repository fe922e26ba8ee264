"""The worker's state, free of Faust: engine + offset ledger + changelog bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from streams.core.engine import Engine
from streams.core.policy import PolicySet
from streams.core.ticket import INF
from streams.export.exporter import Exporter
from streams.settings import Settings
from streams.worker import records
from streams.worker.ledger import Ledger, Rewind

IDLE_SECONDS = 2.0  # --clock event: a partition at its end this long holds the clock no more


class State:
    """Engine + partition bookkeeping (unit-testable without Kafka)."""

    def __init__(self, settings: Settings, policies: PolicySet) -> None:
        self.settings = settings
        self.exporter = Exporter()
        self.engine = Engine(policies, self.exporter, on_reject=self._rejected)
        self.ledger = Ledger()
        self.touched: set[str] = set()  # tickets whose state must be written to the changelog
        self.tombstones: list[tuple[int, str]] = []  # (partition, ticket id) forgotten
        self.expired = 0
        self.partition_of: dict[str, int] = {}
        self.loaded: set[int] = set()  # partitions whose state is in the engine
        self.latest_ts: dict[int, float] = {}  # per partition: latest event time seen
        self.idle_since: dict[int, float] = {}  # per partition: read to its end since (monotonic)
        self.dead_letters: list[tuple[bytes | None, bytes, str, str]] = []
        self._message: Any = None  # the message being processed (for the DLQ)
        self.batches = 0
        self.events = 0
        self.state_writes = 0

    # the ledger's figures, under the names the health page and tests use
    @property
    def last_offset(self) -> dict[int, int]:
        return self.ledger.last_offset

    @property
    def written_offset(self) -> dict[int, int]:
        return self.ledger.written_offset

    @property
    def rewinds(self) -> dict[int, Rewind]:
        return self.ledger.rewinds

    @property
    def skipped(self) -> int:
        return self.ledger.skipped

    @property
    def rewound(self) -> int:
        return self.ledger.rewound

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

    def process(self, messages: Iterable[Any], wall: float) -> set[str]:
        """Apply a batch of Kafka messages (``.value``, ``.key``, ``.partition``, ``.offset``).

        Offsets are applied in order, each once (:class:`~streams.worker.ledger.Ledger`):
        re-deliveries are skipped, a message past a hole is not applied and the partition
        gets a rewind the worker acts on. Returns the ids of the touched tickets.
        """
        engine = self.engine
        tickets = engine.tickets
        ingest = engine.ingest
        touched = self.touched
        partition_of = self.partition_of
        latest_ts = self.latest_ts
        admit = self.ledger.admit
        observe_lag = self.exporter.observe_lag
        count = 0
        for message in messages:
            count += 1
            partition = message.partition
            if not admit(partition, message.offset):
                continue
            self._message = message
            event, reason = ingest(message.value)
            if event is None:
                continue
            ts = event.ts
            if ts > latest_ts.get(partition, -INF):
                latest_ts[partition] = ts
            ticket_id = event.ticket_id
            if reason is None:
                observe_lag(wall - ts)
            if ticket_id in tickets:
                touched.add(ticket_id)
                partition_of[ticket_id] = partition
        self._message = None
        self.batches += 1
        self.events += count
        return touched

    def expect(self, partition: int, offset: int = 0) -> None:
        self.ledger.expect(partition, offset)

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
        for partition in self.loaded:
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
        self.touched.update(self.engine.advance(now))

    def expire(self, retention: float) -> int:
        """Forget tickets nothing more can happen to (``Engine.expire`` at the engine clock).

        Their changelog records become tombstones; events still held for a ticket that
        never came are rejected ``no_ticket`` (to the dead-letter topic).
        """
        engine = self.engine
        if engine.now == -INF:
            return 0
        gone = engine.expire(engine.now, retention)
        for ticket_id in gone:
            partition = self.partition_of.pop(ticket_id, None)
            self.touched.discard(ticket_id)
            if partition is not None:
                self.tombstones.append((partition, ticket_id))
        self.expired += len(gone)
        return len(gone)

    def take_touched(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(partition, key, value) changelog records for the touched tickets (and clears them).

        Tombstones (value None) of expired tickets come first: a ticket id used again
        afterwards is written after its tombstone.
        """
        for dead_partition, dead_id in self.tombstones:
            yield dead_partition, dead_id.encode(), None
        self.tombstones.clear()
        tickets = self.engine.tickets
        partition_of = self.partition_of
        encode = records.encode
        touched = self.touched
        for ticket_id in touched:
            ticket = tickets.get(ticket_id)
            partition = partition_of.get(ticket_id)
            if ticket is None or partition is None:
                continue
            yield partition, ticket_id.encode(), encode(partition, ticket.to_state())
        touched.clear()
        # The clock record of every partition whose offset moved (even with no ticket
        # touched, e.g. only rejected messages): where the state of the partition resumes.
        for partition, offset in self.ledger.moved():
            key, value = records.encode_clock(partition, self.latest_ts.get(partition), offset)
            yield partition, key, value

    # ---- partition moves -------------------------------------------------------------------

    def load(self, items: Iterable[tuple[bytes, bytes | None]], partitions: set[int]) -> int:
        """Adopt the stored state of ``partitions`` from (key, value) changelog entries."""
        engine = self.engine
        loaded = 0
        for key, value in items:
            if not value:  # a tombstone
                continue
            record = records.decode(value)
            partition = record.partition
            if partition not in partitions:
                continue
            if records.is_clock(key):
                ts, offset = record.body
                if ts is not None:
                    self.latest_ts[partition] = max(ts, self.latest_ts.get(partition, -INF))
                self.ledger.adopt(partition, offset)
                continue
            ticket = engine.load(record.body)
            self.partition_of[ticket.ticket_id] = partition
            loaded += 1
        self.loaded |= partitions
        return loaded

    def drop(self, partitions: set[int]) -> int:
        """Forget the tickets of ``partitions`` (moved to another worker)."""
        gone = [tid for tid, p in self.partition_of.items() if p in partitions]
        self.engine.drop_many(gone)
        for ticket_id in gone:
            del self.partition_of[ticket_id]
            self.touched.discard(ticket_id)
        self.tombstones = [(p, t) for p, t in self.tombstones if p not in partitions]
        for partition in partitions:
            self.latest_ts.pop(partition, None)
            self.idle_since.pop(partition, None)
        self.ledger.forget(partitions)
        self.loaded -= partitions
        return len(gone)
