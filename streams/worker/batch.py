"""The batch path: whole fetched batches of the interaction topic to the engine, inside Faust.

Faust's consumer hands every fetched message to its Conductor one at a time
(``Consumer._drain_messages``: ``wait_first(callback(message), suspend_flow.wait())``, four
tasks per message, then an Event, a queue, an ack). :class:`BatchConsumer` replaces that
drain loop: the records of the interaction topic in each fetch go to a
:class:`BatchHandler` as one mapping ``{partition: [records in offset order]}``; records
of every other topic (e.g. a table changelog Faust recovers) still take Faust's path,
message by message. Faust keeps what it is good at: group membership, rebalance
callbacks, seeks to the committed offsets, the commit timer, the producer, the web server.

Commits: no Event is acked for the interaction topic. Instead the consumer asks the
handler for each partition's *durable* position (the last offset whose state and clock
record the changelog has acknowledged, + 1) when Faust commits, so an input offset is never
committed before the state it produced.

This is private Faust API (faust-streaming is pinned exactly in pyproject.toml);
``tests/unit/worker/test_batch_hooks.py`` fails loudly if the hooks change shape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from time import monotonic
from typing import Any, Protocol, cast

from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.types import TP

log = logging.getLogger("servicepulse.worker")

# The private hooks of faust.transport.consumer.Consumer this module relies on
# (checked by tests/unit/worker/test_batch_hooks.py).
HOOKS = (
    "_drain_messages",
    "_wait_next_records",
    "_filter_tps_with_pending_acks",
    "_new_offset",
    "_to_message",
    "_read_offset",
    "_add_gap",
    "perform_seek",
    "wait_first",
    "suspend_flow",
    "flow_active",
    "scheduler",
    "_buffered_partitions",
    "consumer_stopped_errors",
)


class BatchHandler(Protocol):
    """What the consumer hands batches to (the worker)."""

    @property
    def topic_name(self) -> str:
        """The topic whose records come in batches."""

    async def on_batch(self, batch: Mapping[int, Sequence[Any]], generation: int) -> None:
        """Apply ``{partition: records}`` fetched in consumer generation ``generation``."""

    def position(self, partition: int) -> int | None:
        """The offset to commit for ``partition`` (next to read), None for nothing new."""

    def on_progress(self, tps: Iterator[TP]) -> None:
        """Called after each applied batch (the livelock detector's inbound times)."""


class BatchConsumer(AIOKafkaConsumer):
    """Faust's aiokafka consumer with a batch drain loop for one topic."""

    handler: BatchHandler | None = None  # set by the worker before the app starts

    async def _drain_messages(self, fetcher: Any) -> None:  # the consumer's fetch loop
        handler = self.handler
        if handler is None:
            return await super()._drain_messages(fetcher)
        topic = handler.topic_name
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        app = self.app
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                records, active = await self._wait_next_records(1.0)
                await asyncio.sleep(0)
                if not records or self.should_stop:
                    continue
                if not self.flow_active:  # a rebalance is under way: Faust seeks again
                    await self._seek_back()
                    continue
                generation = app.consumer_generation_id
                batch: dict[int, Sequence[Any]] = {}
                others: dict[TP, Any] = {}
                buffered = self._buffered_partitions
                for tp, tp_records in records.items():
                    if active is not None and tp not in active and tp not in buffered:
                        continue
                    if tp.topic == topic:
                        batch[tp.partition] = tp_records
                    else:
                        others[tp] = tp_records
                if batch:
                    await handler.on_batch(batch, generation)
                    handler.on_progress(TP(topic, p) for p in batch)
                if others:
                    await self._drain_one_by_one(others, generation)
        except self.consumer_stopped_errors:
            if app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if app.should_stop:
                return
            raise
        except Exception as exc:
            log.exception("batch drain raised: %r", exc)
            raise

    async def _seek_back(self) -> None:
        try:
            await self.perform_seek()
        except Exception as exc:
            log.warning("seek while the flow is stopped failed: %r", exc)

    async def _drain_one_by_one(self, records: Mapping[TP, Any], generation: int) -> None:
        """Faust's own path for the records of other topics (as its ``_drain_messages``)."""
        callback = self.callback
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        to_message = self._to_message
        for tp, record in self.scheduler.iterate(records):
            if not self.flow_active or self.app.consumer_generation_id != generation:
                break
            offset = record.offset
            r_offset = get_read_offset(tp)
            if r_offset is not None and offset < r_offset:
                continue
            gap = offset - (r_offset or 0)
            if gap > 1 and r_offset and acks_enabled_for(tp.topic):
                await self._add_gap(tp, r_offset + 1, offset)
            await self.wait_first(callback(to_message(tp, record)), self.suspend_flow.wait())
            set_read_offset(tp, offset)

    # ---- commits: the handler's durable positions for the batch topic -------------------------

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        seen = set()
        for tp in super()._filter_tps_with_pending_acks(topics):
            seen.add(tp)
            yield tp
        handler = self.handler
        if handler is None:
            return
        for tp in self.assignment():
            if tp.topic != handler.topic_name or tp in seen:
                continue
            if topics is None or tp in topics or tp.topic in topics:
                yield tp

    def _new_offset(self, tp: TP) -> int | None:
        handler = self.handler
        if handler is not None and tp.topic == handler.topic_name:
            return handler.position(tp.partition)
        return cast(int | None, super()._new_offset(tp))


def install(app: Any, handler: BatchHandler) -> None:
    """Make ``app`` build a :class:`BatchConsumer` feeding ``handler``."""
    transport = app.transport
    consumer_class = type("ServicePulseConsumer", (BatchConsumer,), {"handler": handler})
    transport.Consumer = consumer_class


def mark_inbound(app: Any, tps: Iterator[TP]) -> None:
    """Tell Faust's livelock detector that the stream of these partitions moved."""
    monitor = getattr(app, "monitor", None)
    inbound = getattr(monitor, "stream_inbound_time", None)
    if inbound is None:
        return
    now = monotonic()
    for tp in tps:
        inbound[tp] = now
