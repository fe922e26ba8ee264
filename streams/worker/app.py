"""``servicepulse worker``: the Faust worker — Kafka topic -> engine -> /metrics.

Design (docs/worker.md has the long version):

* One agent consumes the interaction topic in batches (``stream.take_events``) and runs
  every message through the same :class:`~streams.core.engine.Engine` as ``replay``. The
  engine in memory is the live state.
* The Faust table ``tickets`` is the engine's durable changelog: after each batch the
  ``Ticket.to_state()`` of every touched ticket is written to the table's (compacted)
  changelog partition = the input partition it came from. Offsets are committed by
  Faust only after the producer is flushed; the worker does not rely on it, though:
  the per-partition clock record holds the last input offset applied, each offset is
  applied once and in order; a re-delivered one is skipped, and a message past a hole
  (Faust can drop fetched records while it resumes after a recovery, then commit past
  them) makes the worker seek back to its own position (``State.process``).
* On assignment Faust recovers the changelog partitions into the local store (rocksdict
  or memory); the worker then loads the entries of the newly owned partitions into the
  engine (``Engine.load``). On revocation it drops the tickets of the revoked partitions,
  so gauges cover only the partitions the worker owns and summing over workers is right.
* Rejected events go unchanged to the dead-letter topic, reason in header
  ``servicepulse-reason``.
* Clock: ``--clock wall`` (default) advances the engine to wall time minus ``--grace``
  every ``--tick`` seconds, so breaches are counted with no further events. ``--clock
  event`` advances it to the watermark of the owned partitions (as replay does with the
  event clock), for back-fills and for comparing with replay.
* ``/metrics``: the contract's metrics plus ``servicepulse_worker_*`` health figures;
  ``/health``: JSON status.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import orjson
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.core.engine import Engine
from streams.core.policy import PolicySet, load_policies
from streams.core.ticket import INF, OPEN
from streams.errors import UserError
from streams.export.exporter import Exporter
from streams.settings import WORKER_OPTIONS, Settings, add_options, resolve

log = logging.getLogger("servicepulse.worker")

REASON_HEADER = "servicepulse-reason"
SOURCE_HEADER = "servicepulse-source"  # topic/partition/offset of the rejected message
CLOCK_KEY = b"\x00clock:"  # + partition: [latest event ts, last offset] of that partition
TABLE = "tickets"


class Rewind:
    """A hole in what the consumer delivered for one partition, and the seek that refills it."""

    __slots__ = ("expected", "first_seek", "seeks", "seen", "sought", "target")

    # A hole is taken as real (offsets that do not exist) only when the re-read after this
    # many seeks, this long after the first one, still starts past it: messages fetched
    # before a seek (even the same offset twice) come out of Faust's buffers after it.
    SEEKS = 3
    SECONDS = 2.0

    def __init__(self, expected: int, seen: int) -> None:
        self.expected = expected  # the offset the state needs next
        self.seen = seen  # the first offset delivered beyond it
        self.target = expected  # where the consumer is sent back to (>= the log start)
        self.sought = False  # the last seek requested has been made
        self.seeks = 0
        self.first_seek = 0.0  # time.monotonic() of the first seek


class State:
    """Engine + partition bookkeeping, free of Faust (unit-testable)."""

    def __init__(self, settings: Settings, policies: PolicySet) -> None:
        self.settings = settings
        self.exporter = Exporter()
        self.engine = Engine(policies, self.exporter, on_reject=self._rejected)
        self.touched: set[str] = set()  # tickets whose state must be written to the changelog
        self.partition_of: dict[str, int] = {}
        self.loaded: set[int] = set()  # partitions whose state is in the engine
        self.latest_ts: dict[int, float] = {}  # per partition: latest event time seen
        # Per partition: the last offset applied. Every offset up to it is in the engine (and,
        # once flushed, in the changelog with the clock record), so it is where the state
        # resumes; a message beyond it + 1 means the consumer skipped some (see process).
        self.last_offset: dict[int, int] = {}
        self.written_offset: dict[int, int] = {}  # per partition: last offset in a clock record
        self.rewinds: dict[int, Rewind] = {}  # partitions waiting for a seek back
        self.rewound = 0  # seeks made to refill a hole
        self.skipped = 0  # messages not applied: already applied, or beyond a hole
        self.dead_letters: list[tuple[bytes | None, bytes, str, str]] = []
        self._message: Any = None  # the message being processed (for the DLQ)
        self.batches = 0
        self.events = 0
        self.state_writes = 0

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

        Offsets are applied in order, each once: a message at or below the partition's last
        offset is a re-delivery (after a restart, a rebalance or a seek) and is skipped; a
        message beyond last offset + 1 means the consumer did not deliver the ones between
        (Faust can drop fetched records while it resumes the streams after a recovery, and
        then commit past them), so it is not applied: the partition gets a :class:`Rewind`
        and the worker seeks back (``Worker._rewind``). Returns the ids of the touched tickets.
        """
        engine = self.engine
        touched = self.touched
        partition_of = self.partition_of
        latest_ts = self.latest_ts
        last_offset = self.last_offset
        rewinds = self.rewinds
        observe_lag = self.exporter.observe_lag
        count = 0
        for message in messages:
            count += 1
            partition = message.partition
            offset = message.offset
            last = last_offset.get(partition)
            if last is None or offset != last + 1:
                # not owned (fetched before a revocation), already applied, or past a hole
                if last is None or offset <= last or not self._beyond(partition, last, offset):
                    self.skipped += 1
                    continue
            elif rewinds and partition in rewinds:
                del rewinds[partition]  # the hole is refilled
            last_offset[partition] = offset
            self._message = message
            raw = message.value
            event, reason = engine.ingest(raw)
            if event is None:
                continue
            ts = event.ts
            if ts > latest_ts.get(partition, -INF):
                latest_ts[partition] = ts
            ticket_id = event.ticket_id
            if reason is None:
                observe_lag(wall - ts)
            if ticket_id in engine.tickets:
                touched.add(ticket_id)
                partition_of[ticket_id] = partition
        self._message = None
        self.batches += 1
        self.events += count
        return touched

    def _beyond(self, partition: int, last: int, offset: int) -> bool:
        """A message past a hole at ``last + 1``: True to apply it (the hole is real)."""
        rewind = self.rewinds.get(partition)
        if rewind is None:
            self.rewinds[partition] = Rewind(last + 1, offset)
            log.warning(
                "partition %d: offset %d delivered, %d expected; seeking back",
                partition,
                offset,
                last + 1,
            )
            return False
        if not rewind.sought or offset > max(rewind.seen, rewind.target):
            return False  # fetched before the seek; it comes again after it
        # Perhaps the re-read: it starts past the expected offset. Or a message fetched
        # before the seek. Seek again, until it is certain those offsets do not exist
        # (retention, compaction, transaction markers).
        if rewind.seeks < rewind.SEEKS or time.monotonic() - rewind.first_seek < rewind.SECONDS:
            rewind.sought = False
            return False
        del self.rewinds[partition]
        log.warning(
            "partition %d: offsets %d-%d do not exist; going on from %d",
            partition,
            last + 1,
            offset - 1,
            offset,
        )
        return True

    def expect(self, partition: int, offset: int = 0) -> None:
        """Where a newly owned partition with no stored position starts (its beginning).

        If the log starts later (retention), the first message is beyond the expected
        offset, the worker seeks back to the log start, and goes on from there.
        """
        if partition not in self.last_offset:
            self.last_offset[partition] = self.written_offset[partition] = offset - 1

    def watermark(self, highwater: dict[int, int | None]) -> float | None:
        """Event clock: the least latest-event-time over the owned partitions still being read.

        A partition read up to its high-water mark holds nothing back; when all are, the
        clock is the latest event time seen (replay's clock at the end of a file).
        """
        lagging = []
        latest = -INF
        for partition in self.loaded:
            ts = self.latest_ts.get(partition, -INF)
            latest = max(latest, ts)
            end = highwater.get(partition)
            if end is None or end > self.last_offset.get(partition, -1) + 1:
                lagging.append(ts)
        if lagging:
            low = min(lagging)
            return None if low == -INF else low
        return None if latest == -INF else latest

    def advance(self, now: float) -> None:
        self.touched.update(self.engine.advance(now))

    def take_touched(self) -> Iterator[tuple[int, bytes, bytes]]:
        """(partition, key, value) changelog records for the touched tickets (and clears them)."""
        engine = self.engine
        tickets = engine.tickets
        partition_of = self.partition_of
        dumps = orjson.dumps
        touched = self.touched
        partitions = set()
        for ticket_id in touched:
            ticket = tickets.get(ticket_id)
            partition = partition_of.get(ticket_id)
            if ticket is None or partition is None:
                continue
            partitions.add(partition)
            yield partition, ticket_id.encode(), b"%d|" % partition + dumps(ticket.to_state())
        touched.clear()
        # The clock record of every partition whose offset moved (even with no ticket
        # touched, e.g. only rejected messages): where the state of the partition resumes.
        written = self.written_offset
        for partition, offset in self.last_offset.items():
            if written.get(partition) != offset:
                written[partition] = offset
                clock = [self.latest_ts.get(partition), offset]
                yield partition, CLOCK_KEY + b"%d" % partition, b"%d|" % partition + dumps(clock)

    # ---- partition moves -------------------------------------------------------------------

    def load(self, items: Iterable[tuple[bytes, bytes]], partitions: set[int]) -> int:
        """Adopt the stored state of ``partitions`` from (key, value) table entries."""
        engine = self.engine
        loaded = 0
        for key, value in items:
            cut = value.index(b"|")
            partition = int(value[:cut])
            if partition not in partitions:
                continue
            state = orjson.loads(value[cut + 1 :])
            if key.startswith(CLOCK_KEY):
                ts, offset = state
                if ts is not None:
                    self.latest_ts[partition] = max(ts, self.latest_ts.get(partition, -INF))
                offset = max(offset, self.last_offset.get(partition, -1))
                self.last_offset[partition] = self.written_offset[partition] = offset
                continue
            ticket = engine.load(state)
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
        for partition in partitions:
            self.latest_ts.pop(partition, None)
            self.last_offset.pop(partition, None)
            self.written_offset.pop(partition, None)
            self.rewinds.pop(partition, None)
        self.loaded -= partitions
        return len(gone)


class HealthCollector(Collector):
    """The worker's own health, read at scrape time (nothing per event)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[Any]:
        worker, state = self.worker, self.worker.state
        app = worker.app
        g = GaugeMetricFamily
        owned = g("servicepulse_worker_partitions", "interaction partitions owned (loaded)")
        owned.add_metric([], len(state.loaded))
        yield owned
        tickets = g("servicepulse_worker_tickets", "tickets held in memory (all states)")
        tickets.add_metric([], len(state.engine.tickets))
        yield tickets
        clock = g("servicepulse_worker_clock_seconds", "engine clock (POSIX seconds)")
        clock.add_metric([], state.engine.now if state.engine.now > -INF else 0.0)
        yield clock
        lag = g(
            "servicepulse_worker_consumer_lag", "messages not yet processed", labels=["partition"]
        )
        for partition, end in sorted(worker.highwaters().items()):
            if end is not None:
                done = state.last_offset.get(partition, -1) + 1
                lag.add_metric([str(partition)], max(0, end - done))
        yield lag
        ready = g("servicepulse_worker_ready", "1 when partitions are assigned and recovered")
        ready.add_metric([], 1.0 if worker.ready else 0.0)
        yield ready
        c = CounterMetricFamily
        for name, help_, value in (
            ("servicepulse_worker_batches", "batches processed", state.batches),
            ("servicepulse_worker_messages", "messages processed", state.events),
            ("servicepulse_worker_state_writes", "ticket states written", state.state_writes),
            ("servicepulse_worker_dead_letters", "messages sent to the DLQ", worker.dlq_sent),
            ("servicepulse_worker_rebalances", "partition assignments seen", worker.rebalances),
            (
                "servicepulse_worker_rewinds",
                "seeks back to refill undelivered offsets",
                state.rewound,
            ),
            (
                "servicepulse_worker_skipped_messages",
                "messages not applied: already applied, not owned, or past a hole",
                state.skipped,
            ),
        ):
            family = c(name, help_)
            family.add_metric([], value)
            yield family
        recovery = g("servicepulse_worker_recovery_seconds", "duration of the last state load")
        recovery.add_metric([], worker.recovery_seconds)
        yield recovery
        monitor = getattr(app, "monitor", None)
        if monitor is not None:
            for name, attr, help_ in (
                ("faust_messages_received", "messages_received_total", "Faust: messages read"),
                ("faust_events", "events_total", "Faust: stream events"),
                ("faust_messages_sent", "messages_sent", "Faust: messages produced"),
            ):
                family = c(name, help_)
                family.add_metric([], float(getattr(monitor, attr, 0) or 0))
                yield family
            for name, attr, help_ in (
                ("faust_events_per_second", "events_s", "Faust: stream events per second"),
                ("faust_messages_active", "messages_active", "Faust: messages in flight"),
            ):
                gauge = g(name, help_)
                gauge.add_metric([], float(getattr(monitor, attr, 0) or 0))
                yield gauge
            latency = g("faust_commit_latency_seconds", "Faust: mean of recent commit latencies")
            commits = list(getattr(monitor, "commit_latency", ()) or ())
            latency.add_metric([], sum(commits) / len(commits) if commits else 0.0)
            yield latency


class Worker:
    """The Faust app around a :class:`State`."""

    def __init__(self, settings: Settings, policies: PolicySet, partitions: int) -> None:
        import faust

        self.settings = settings
        self.partitions = partitions
        self.state = State(settings, policies)
        self.ready = False
        self.rebalances = 0
        self.dlq_sent = 0
        self.recovery_seconds = 0.0
        self.started = time.time()
        clock = settings.clock
        grace = settings.grace
        engine = self.state.engine
        if clock == "wall":
            self.state.exporter.watch(engine, now=lambda: time.time() - grace)
        else:
            self.state.exporter.watch(engine, now=lambda: engine.now)
        self.state.exporter.registry.register(HealthCollector(self))

        data_dir = Path(settings.data_dir) / settings.app_id
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create --data-dir {data_dir}: {exc.strerror}") from None
        self.app = app = faust.App(
            settings.app_id,
            broker=settings.faust_broker,
            store="rocksdb://" if settings.store == "rocksdb" else "memory://",
            datadir=str(data_dir),
            autodiscover=False,
            web_enabled=True,
            web_bind=settings.host,
            web_host=settings.host,
            web_port=settings.port,
            web_in_thread=False,
            topic_partitions=partitions,
            topic_replication_factor=settings.replication,
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            table_standby_replicas=0,
            # Fewer, larger hand-offs from the consumer thread: +5-9 % events/s in
            # bench/worker.py (150,000 events, 3 rounds) against 4096 / 2000.
            stream_buffer_maxsize=max(16384, 4 * settings.batch),
            broker_max_poll_records=max(5000, settings.batch),
            producer_acks=-1,
            producer_linger=0.005,
        )
        self.topic = app.topic(
            settings.topic,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )
        self.dlq = app.topic(
            settings.dlq_topic, key_serializer="raw", value_serializer="raw", partitions=partitions
        )
        self.table = app.Table(
            TABLE,
            partitions=partitions,
            key_type=bytes,
            value_type=bytes,
            recovery_buffer_size=10_000,
        )
        self.table.on_recover(self._on_recovered)
        self.changelog_name = self.table.changelog_topic.get_topic_name()
        self._flush_lock = asyncio.Lock()
        app.agent(self.topic, name="servicepulse-interactions")(self._agent)
        app.timer(settings.tick)(self._tick)
        app.on_partitions_revoked.connect(cast(Any, self._on_revoked))
        app.on_partitions_assigned.connect(cast(Any, self._on_assigned))

        async def metrics_view(web: Any, request: Any) -> Any:
            return await self._metrics_view(web, request)

        async def health_view(web: Any, request: Any) -> Any:
            return await self._health_view(web, request)

        app.page("/metrics")(metrics_view)
        app.page("/health")(health_view)

    # ---- the agent -----------------------------------------------------------------------------

    async def _agent(self, stream: Any) -> None:
        settings = self.settings
        async for events in stream.take_events(settings.batch, within=settings.batch_within):
            await self._batch(events)

    async def _batch(self, events: Sequence[Any]) -> None:
        state = self.state
        state.process([event.message for event in events], time.time())
        if state.rewinds:
            await self._rewind()
        if self.settings.clock == "event":
            self._advance_event_clock()
        await self._flush()

    async def _rewind(self) -> None:
        """Seek each partition with a hole back to the offset its state needs next.

        The consumer delivered a message past ``last_offset + 1`` (see ``State.process``):
        Faust can drop records fetched while it resumes the streams after a recovery (they
        reach the stream queue that ``flow_control.resume()`` then clears, while the fetch
        position has moved past them) and commit past them. The state's own position,
        kept in the changelog with the tickets, is the truth: read again from there (or
        from the log start, if retention removed it).
        """
        from faust.types import TP

        consumer = self.app.consumer
        topic = self.settings.topic
        for partition, rewind in list(self.state.rewinds.items()):
            if rewind.sought:
                continue
            tp = TP(topic, partition)
            try:
                earliest = (await consumer.earliest_offsets(tp)).get(tp)
            except Exception as exc:  # the seek below still refills the hole
                log.warning("partition %d: log start unknown (%r)", partition, exc)
                earliest = None
            rewind.target = max(rewind.expected, earliest or 0)
            try:
                await consumer.seek_wait({tp: rewind.target})
            except Exception as exc:  # e.g. revoked meanwhile: tried again at the next batch
                log.warning("partition %d: seek to %d failed (%r)", partition, rewind.target, exc)
                continue
            rewind.sought = True
            rewind.seeks += 1
            if rewind.seeks == 1:
                rewind.first_seek = time.monotonic()
            else:
                continue  # logged once
            self.state.rewound += 1
            log.warning(
                "partition %d: offsets %d-%d were not delivered; reading again from %d",
                partition,
                rewind.expected,
                rewind.seen - 1,
                rewind.target,
            )

    def _advance_event_clock(self) -> None:
        now = self.state.watermark(self.highwaters())
        if now is not None:
            self.state.advance(now)

    async def _tick(self) -> None:
        if not self.ready:
            return
        if self.settings.clock == "wall":
            self.state.advance(time.time() - self.settings.grace)
        else:
            self._advance_event_clock()
        await self._flush()

    async def _flush(self) -> None:
        """Write touched tickets to the changelog, rejected messages to the DLQ.

        State records go straight to the aiokafka producer under Faust, one record batch
        per changelog partition (Faust's ``send_soon`` costs a task and a future per record);
        Faust's commit flushes that producer before committing offsets, so a committed
        offset still implies written state. The lock keeps the writes of one ticket in order.
        """
        state = self.state
        async with self._flush_lock:
            records = list(state.take_touched())
            if records:
                await self._send_state(records)
                state.state_writes += len(records)
        if state.dead_letters:
            for dlq_key, raw, reason, source in state.dead_letters:
                self.dlq.send_soon(
                    key=dlq_key,
                    value=raw,
                    headers=[(REASON_HEADER, reason.encode()), (SOURCE_HEADER, source.encode())],
                    key_serializer="raw",
                    value_serializer="raw",
                )
            self.dlq_sent += len(state.dead_letters)
            state.dead_letters.clear()

    async def _send_state(self, records: list[tuple[int, bytes, bytes]]) -> None:
        client = cast(
            Any, self.app.producer
        )._ensure_producer()  # the AIOKafkaProducer Faust flushes
        topic = self.changelog_name
        batches: dict[int, Any] = {}
        for partition, key, value in records:
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = client.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                await client.send_batch(batch, topic, partition=partition)
                batch = batches[partition] = client.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        for partition, batch in batches.items():
            await client.send_batch(batch, topic, partition=partition)

    # ---- partitions ----------------------------------------------------------------------------

    def owned_partitions(self) -> set[int]:
        topic = self.settings.topic
        try:
            actives = self.app.assignor.assigned_actives()
        except Exception:
            return set()
        return {tp.partition for tp in actives if tp.topic == topic}

    def highwaters(self) -> dict[int, int | None]:
        consumer = self.app.consumer
        topic = self.settings.topic
        result: dict[int, int | None] = {}
        from faust.types import TP

        for partition in self.state.loaded:
            try:
                result[partition] = consumer.highwater(TP(topic, partition))
            except Exception:
                result[partition] = None
        return result

    async def _on_revoked(self, app: Any, revoked: set[Any], **_: Any) -> None:
        # aiokafka's (eager) protocol revokes *every* partition at each rebalance, and
        # Faust recovers only the newly assigned ones: the tickets of partitions that stay
        # are kept (the local store is not up to date for them, the engine is). Tickets
        # are dropped once the new assignment shows which partitions really went.
        self.ready = False
        await self._flush()
        await self.app.producer.flush()

    async def _on_assigned(self, app: Any, assigned: set[Any], **_: Any) -> None:
        self.rebalances += 1
        if self.app.monitor in self.app.sensors:
            # Faust's default Monitor sensor costs ~10 % per event (timings and counters
            # for every message and event); the servicepulse_worker_* figures replace it.
            self.app.sensors.remove(self.app.monitor)
        owned = {tp.partition for tp in assigned if tp.topic == self.settings.topic}
        # Faust seeks every partition to its committed offset after a rebalance: a pending
        # seek back is void; a hole still there is found again at the next message.
        self.state.rewinds.clear()
        gone = self.state.loaded - owned
        if gone:
            dropped = self.state.drop(gone)
            log.info("partitions %s moved away: dropped %d tickets", sorted(gone), dropped)
        if owned <= self.state.loaded:  # nothing new to recover
            self.ready = True

    async def _on_recovered(self) -> None:
        started = time.monotonic()
        owned = self.owned_partitions()
        stale = self.state.loaded - owned
        if stale:
            self.state.drop(stale)
        new = owned - self.state.loaded
        count = 0
        if new:
            items = self.table.data.items()
            count = self.state.load(items, new)
            for partition in new:
                self.state.expect(partition)  # no stored position: from the beginning
            await asyncio.sleep(0)
        self.recovery_seconds = time.monotonic() - started
        self.ready = True
        log.warning(
            "partitions %s owned; loaded %d tickets of %s in %.2fs",
            sorted(owned),
            count,
            sorted(new),
            self.recovery_seconds,
        )

    # ---- web -----------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        return self.state.exporter.exposition()

    async def _metrics_view(self, web: Any, request: Any) -> Any:
        return web.bytes(self.exposition(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    async def _health_view(self, web: Any, request: Any) -> Any:
        state = self.state
        status = "ok" if self.ready else "starting"
        if self.app.should_stop:
            status = "stopping"
        body = {
            "status": status,
            "app_id": self.settings.app_id,
            "topic": self.settings.topic,
            "partitions": sorted(state.loaded),
            "tickets": len(state.engine.tickets),
            "open_tickets": len(state.engine.open),
            "events": state.events,
            "clock": self.settings.clock,
            "engine_now": state.engine.now if state.engine.now > -INF else None,
            "uptime_seconds": round(time.time() - self.started, 3),
        }
        return web.json(body, status=200 if status != "stopping" else 503)


def open_counts(engine: Engine) -> dict[str, int]:
    """Open tickets per team (a small helper for tests and the health page)."""
    counts: dict[str, int] = defaultdict(int)
    for ticket in engine.open.values():
        if ticket.state == OPEN:
            counts[ticket.team] += 1
    return dict(counts)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot serve /metrics on {host}:{port}: {exc.strerror}") from None


def command(args: argparse.Namespace) -> int:
    settings = resolve(args, WORKER_OPTIONS)
    policies = load_policies(settings.policy)
    _check_port(settings.host, settings.port)
    partitions = settings.partitions
    if args.create_topics:
        from streams.commands.topics import ensure_topics

        topics = ensure_topics(settings)
        actual = topics[settings.topic].partitions
        if actual and actual != partitions:
            log.warning(
                "%s has %d partitions (not %d): following the topic",
                settings.topic,
                actual,
                partitions,
            )
            partitions = actual
    if settings.store == "rocksdb":
        try:
            import rocksdict  # noqa: F401
        except ImportError:
            raise UserError("--store rocksdb needs rocksdict (pip install rocksdict)") from None
    import faust

    worker = Worker(settings, policies, partitions)
    faust_worker = faust.Worker(
        worker.app,
        loglevel=settings.log_level.upper(),
        quiet=True,
        redirect_stdouts=False,
    )
    faust_worker.execute_from_commandline()  # runs until SIGTERM/SIGINT, then exits
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "worker",
        help="the Faust worker: Kafka interactions -> engine -> /metrics",
        description="Consume the interaction topic with Faust, run the engine (state kept "
        "in a changelog-backed table), forward rejected events to the dead-letter topic, "
        "count SLA breaches on a timer, and serve /metrics and /health. Every option can "
        "also be set by the SERVICEPULSE_* variable shown.",
    )
    add_options(parser, WORKER_OPTIONS)
    parser.add_argument(
        "--create-topics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the interaction and dead-letter topics if missing (default: yes)",
    )
    parser.set_defaults(func=command)
