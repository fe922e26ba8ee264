"""``servicepulse worker``: the Faust worker — Kafka topic -> engine -> /metrics.

Design (docs/worker.md has the long version):

* Faust keeps group membership, rebalances, commits, the producer and the web server.
  Whole fetched batches of the interaction topic go to the engine (``batch.py``:
  ``BatchConsumer`` calls :meth:`Worker.on_batch`), each record through the same
  ``Engine.ingest`` as ``replay``; ``--drain faust`` keeps Faust's per-message agent.
* State: after each batch the ``Ticket.to_row()`` of every touched ticket is written to
  the compacted changelog (``records.py``) partition = its input partition, with a
  per-partition clock record holding the last input offset applied (``offsets.py``:
  each offset once, in order, holes sought back). Writes are checked (``changelog.py``:
  the next batch is applied while they are in flight); the offset Faust commits is the
  one the changelog acknowledged (:meth:`Worker.position`).
* On assignment (``loading.py``) the changelog partitions of newly owned partitions are
  read in bulk (``recovery.py``) into ``Engine.load_rows`` while input waits, one read at a
  time, never one partition twice; partitions that moved away are dropped, so gauges
  cover only owned partitions and summing over workers is right.
* Rejected events go unchanged to the dead-letter topic (reason in a header); every
  minute ``Engine.expire`` forgets finished tickets (tombstones) and rejects held
  orphans ``no_ticket``.
* Clock: ``--clock wall`` advances the engine to wall time minus ``--grace`` every
  ``--tick``; ``--clock event`` to the watermark of the owned partitions.
* ``/metrics`` (built off the loop) and ``/health``: ``pages.py``; health figures:
  ``health.py``.
* Outcomes ledger (``--ledger``, streams/ledger): the engines' records are written before
  the changelog that holds the state they came from; while the outcomes ledger cannot be written
  the state waits (no changelog write, no commit), so a crash or a rebalance re-applies
  the events and writes the same rows again (upserts by key): each row exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, cast

from streams.alerting.pusher import AlertPusher
from streams.core.forewarnings import clock_warnings
from streams.core.policy import PolicySet
from streams.errors import UserError
from streams.kafka.security import aiokafka_options, faust_credentials
from streams.kafka.settings import Settings
from streams.worker.ahead import ReadAhead
from streams.worker.changelog import (
    REASON_HEADER,
    SOURCE_HEADER,
    ChangelogError,
    ChangelogWriter,
)
from streams.worker.health import HealthCollector
from streams.worker.loading import Loader
from streams.worker.offsets import Rewind
from streams.worker.pages import Pages
from streams.worker.recovery import Reading, Stored, read_changelog
from streams.worker.state import State

__all__ = [
    "REASON_HEADER",
    "SOURCE_HEADER",
    "ChangelogError",
    "Rewind",
    "State",
    "Worker",
]

log = logging.getLogger("servicepulse.worker")

EXPIRE_EVERY = 60.0  # seconds between passes of Engine.expire
LEDGER_RETRY = 1.0  # seconds between writes of the outcomes ledger while its store fails
MAX_POLL_RECORDS = 20_000  # the most records the consumer thread hands over at once
MAX_FETCH_BYTES = 4 << 20  # a fetch's bytes per partition (Faust's default: 1 MB)


class Worker:
    """The Faust app around a :class:`State`."""

    def __init__(self, settings: Settings, policies: PolicySet, partitions: int) -> None:
        import faust

        self.settings = settings
        self.partitions = partitions
        self.state = State(settings, policies)
        self.outcomes = self._open_ledger(settings)
        self.state.outcomes = self.outcomes
        self.ready = False
        self.rebalances = 0
        self.recovery_seconds = 0.0
        self.started = time.time()
        clock = settings.clock
        grace = settings.grace
        state = self.state
        if clock == "wall":
            state.exporter.watch(state, now=lambda: time.time() - grace)
        else:
            state.exporter.watch(state, now=lambda: state.now)
        self.state.exporter.add_collector(HealthCollector(self))

        data_dir = Path(settings.data_dir) / settings.app_id
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create --data-dir {data_dir}: {exc.strerror}") from None
        self.app = app = faust.App(
            settings.app_id,
            broker=settings.faust_broker,
            store="memory://",  # no Faust table: the state is read from the changelog in bulk
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
            # bench/worker.py (150,000 events, 3 rounds) against 4096 / 2000; then
            # 20,000 records and 4 MB a partition a fetch against 5,000 and Faust's 1 MB:
            # +5-6 % events per CPU second, best of 5 (docs/benchmarks.md, "Worker").
            stream_buffer_maxsize=max(16384, 4 * settings.batch),
            broker_max_poll_records=max(MAX_POLL_RECORDS, settings.batch),
            consumer_max_fetch_size=MAX_FETCH_BYTES,
            producer_acks=-1,
            broker_credentials=faust_credentials(settings),
            # A crashed worker's partitions move after this (Faust's default: 60 s).
            broker_session_timeout=settings.session_timeout,
            broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
            consumer_group_instance_id=settings.instance_id,
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
        self._expired_at = time.monotonic()
        self.pusher: AlertPusher | None = None  # set by the command (--alertmanager)
        self.escalate_after = float("inf")
        self.changelog_name = settings.changelog_topic  # created by ensure_topics, compacted
        self.ahead = ReadAhead(self.state, self._read, data_dir / "partitions.json")
        self.loader = Loader(
            self.state, self._read_changelog, self._load_failed, self._loaded, self.ahead.take
        )
        self.writer = ChangelogWriter(
            self.state,
            lambda: cast(Any, self.app.producer)._ensure_producer(),  # what Faust flushes
            self.changelog_name,
            settings.dlq_topic,
            self._changelog_failed,
        )
        # The agent subscribes the topic (and is the whole path with --drain faust); with
        # --drain batch the consumer hands it nothing: batches go to on_batch instead.
        app.agent(self.topic, name="servicepulse-interactions")(self._agent)
        if settings.drain == "batch":
            from streams.worker.batch import install

            install(app, self)
        app.timer(settings.tick)(self._tick)
        app.on_partitions_revoked.connect(cast(Any, self._on_revoked))
        app.on_partitions_assigned.connect(cast(Any, self._on_assigned))

        self.pages = pages = Pages(self)

        # Plain functions: Faust makes each a View's ``get`` (called as get(view, request)).
        async def metrics_view(view: Any, request: Any) -> Any:
            return await pages.metrics(view, request)

        async def health_view(view: Any, request: Any) -> Any:
            return await pages.health(view, request)

        async def partition_view(view: Any, request: Any, partition: str) -> Any:
            return await pages.partition(view, request, partition)

        async def partitions_view(view: Any, request: Any) -> Any:
            return await pages.partitions(view, request)

        app.page("/metrics")(metrics_view)
        app.page("/metrics/partitions")(partitions_view)
        app.page("/metrics/partition/{partition}")(partition_view)
        app.page("/health")(health_view)

    # ---- the agent -----------------------------------------------------------------------------

    async def _agent(self, stream: Any) -> None:
        settings = self.settings
        async for events in stream.take_events(settings.batch, within=settings.batch_within):
            await self._batch(events)

    async def _batch(self, events: Sequence[Any]) -> None:
        await self._apply([event.message for event in events])

    # ---- the batch path (streams.worker.batch.BatchConsumer) -----------------------------------

    @property
    def topic_name(self) -> str:
        return self.settings.topic

    async def on_batch(self, batch: Mapping[int, Sequence[Any]], generation: int) -> None:
        """Records fetched in consumer generation ``generation``, per partition in offset order."""
        if not self.loader.done.is_set():
            await self.loader.done.wait()
        if generation != self.app.consumer_generation_id:
            return  # fetched before a rebalance: Faust seeks back, they come again
        await self._apply(chain.from_iterable(batch.values()))

    def position(self, partition: int) -> int | None:
        """Offset to commit: past the last one whose state the changelog acknowledged."""
        if partition not in self.state.partitions:
            return None
        durable = self.state.offsets.durable.get(partition)
        return None if durable is None or durable < 0 else durable + 1

    @property
    def dlq_sent(self) -> int:
        return self.writer.dlq_sent

    async def _changelog_failed(self, error: ChangelogError) -> None:
        # Positions stay where the changelog last acknowledged: no commit past them.
        # Stop; a restart reloads that state and reads on from there.
        self.ready = False
        await self.app.crash(error)

    def on_progress(self, tps: Iterator[Any]) -> None:
        from streams.worker.batch import mark_inbound

        mark_inbound(self.app, tps)

    async def _apply(self, messages: Iterable[Any]) -> None:
        if not self.loader.done.is_set():
            await self.loader.done.wait()
        await self._ledger_written()
        state = self.state
        state.process(messages, time.time())
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
            self.state.offsets.rewound += 1
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
        now = time.monotonic()
        if now - self._expired_at >= EXPIRE_EVERY:
            # Closed/abandoned tickets past the retention leave memory and (tombstones)
            # the changelog; events held for a ticket that never came are rejected
            # no_ticket and dead-lettered. An O(tickets) pass, hence not every tick.
            self._expired_at = now
            self.state.expire(self.settings.retention)
        self._push_alerts()
        await self._flush()

    def _push_alerts(self) -> None:
        """Ticket-level alerts of the tickets this worker owns (docs/warnings.md)."""
        if self.pusher is None:
            return
        state = self.state
        now = state.now
        warnings = clock_warnings(
            state.open_tickets(), now, state.policies.at_risk, self.escalate_after
        )
        self.pusher.update(warnings, now, time.time(), known=state.holds)

    async def _flush(self) -> None:
        """Send rejected messages and touched tickets (``changelog.py``); acks come later.

        The ledger's rows go first: the state that produced them is committed only after.
        """
        outcomes = self.outcomes
        if outcomes is not None:
            outcomes.flush()
            if outcomes.pending:  # the ledger is failing: hold the state back (retried)
                return
        await self.writer.flush()

    @staticmethod
    def _open_ledger(settings: Settings) -> Any:
        if not settings.ledger:
            return None
        from streams.ledger.sink import Ledger
        from streams.ledger.store import open_store

        return Ledger(open_store(settings.ledger))

    async def _ledger_written(self) -> None:
        """Wait until the ledger has taken every row so far (input waits: bounded memory).

        Rows never wait in memory for more than a batch: while the store fails, no new
        event is applied, and no state past the rows is committed (Kafka keeps the events).
        """
        outcomes = self.outcomes
        while outcomes is not None and outcomes.pending:
            outcomes.flush()
            if outcomes.pending:
                await asyncio.sleep(LEDGER_RETRY)

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

        for partition in self.state.partitions:
            try:
                result[partition] = consumer.highwater(TP(topic, partition))
            except Exception:
                result[partition] = None
        return result

    async def _on_revoked(self, app: Any, revoked: set[Any], **_: Any) -> None:
        # aiokafka's (eager) protocol revokes *every* partition at each rebalance, and
        # Faust recovers only the newly assigned ones: the tickets of partitions that stay
        # are kept (the changelog is up to date for them, and so is the engine). Tickets
        # are dropped once the new assignment shows which partitions really went.
        self.ready = False
        await self._flush()
        await self.writer.drained()  # durable positions up to date before Faust commits
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
        self.ahead.remember(owned)
        # Input waits (on_batch / _apply) until the new partitions' state is in the engine;
        # the rebalance itself is not held up by the read (loading.py).
        self.loader.assign(owned)
        if not self.loader.loading:
            self.ready = True
            self.ahead.cancel()  # nothing to read: what was read ahead goes

    async def _read(self, partitions: set[int], since: Reading | None = None) -> Reading:
        settings = self.settings
        return await read_changelog(
            settings.bootstrap, self.changelog_name, partitions, aiokafka_options(settings), since
        )

    async def _read_changelog(self, partitions: set[int]) -> Stored:
        since = self.ahead.reading(partitions)
        return (await self._read(partitions, since)).stored()

    async def _load_failed(self, exc: BaseException) -> None:
        log.error("reading %s failed: %r; stopping", self.changelog_name, exc)
        await self.app.crash(exc)

    def _loaded(self) -> None:
        self.recovery_seconds = self.loader.seconds
        self.ready = True
