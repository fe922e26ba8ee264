"""Recovery in bulk: the owned changelog partitions read straight into the engine.

Faust's table recovery puts every changelog record through its per-message path (plus an
``asyncio.wait_for`` per record). Here a group-less aiokafka consumer is assigned the
changelog partitions of the newly owned input partitions, seeks to their beginning, and
reads them with ``getmany`` up to the end offsets taken at the start; the latest value of
every key wins (a tombstone removes the key), and the result goes to ``State.load``.

A flush writes each partition's records and then its clock record (``records.py``), in
several record batches when it is large. A worker killed between two of them leaves a
partition's tail without its clock record: tickets ahead of the counters and of the
position stored. Those records are left out (the state is the last complete flush) and
their keys reported, for the next owner to write back (``State.load``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from streams.worker.records import CLOCK_KEY, is_clock

log = logging.getLogger("servicepulse.worker")

FETCH_MAX_BYTES = 64 * 1024 * 1024
PARTITION_FETCH_BYTES = 16 * 1024 * 1024


class Stored(NamedTuple):
    """What the changelog holds of some partitions."""

    latest: dict[bytes, bytes | None]  # key -> its value in the last complete flush
    tail: list[tuple[int, bytes]]  # (partition, key) written after the last clock record


class KeyValue(Protocol):
    """A consumer record, as far as the read needs it."""

    @property
    def key(self) -> bytes: ...

    @property
    def value(self) -> bytes | None: ...


class Flushes:
    """Records in log order -> the latest value of each key as of each partition's last
    clock record; what came after it is the tail."""

    def __init__(self) -> None:
        self.latest: dict[bytes, bytes | None] = {}
        self.pending: dict[int, dict[bytes, bytes | None]] = {}

    def add(self, partition: int, key: bytes, value: bytes | None) -> None:
        pending = self.pending.setdefault(partition, {})
        pending[key] = value
        if is_clock(key):
            self.latest.update(pending)
            pending.clear()

    def extend(self, partition: int, records: Iterable[KeyValue]) -> None:
        """:meth:`add` of each record of a fetch of ``partition``, in order (one call)."""
        pending = self.pending.setdefault(partition, {})
        latest = self.latest
        for record in records:
            key = record.key
            pending[key] = record.value
            if key.startswith(CLOCK_KEY):
                latest.update(pending)
                pending.clear()

    def stored(self) -> Stored:
        tail = [(p, key) for p, pending in self.pending.items() for key in pending]
        return Stored(self.latest, tail)


class Reading(NamedTuple):
    """A read of some changelog partitions, and where it stopped (to go on from there)."""

    flushes: Flushes
    ends: dict[int, int]  # partition -> the offset read up to (exclusive)

    def stored(self) -> Stored:
        return self.flushes.stored()


async def read_changelog(
    bootstrap: list[str],
    topic: str,
    partitions: set[int],
    client_options: dict[str, Any],
    since: Reading | None = None,
) -> Reading:
    """The stored state of ``partitions`` of ``topic`` (a value None: a tombstone).

    ``since``: an earlier read of these partitions (the prefetch at start-up): only what
    was written after it is read, on top of it. If a partition's log no longer continues
    it (it starts after that read's end, or ends before it: the topic was made again),
    everything is read again.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_bytes=FETCH_MAX_BYTES,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        **client_options,
    )
    await consumer.start()
    try:
        known = consumer.partitions_for_topic(topic) or set()
        if not known:
            await consumer._client.force_metadata_update()
            known = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions) if p in known]
        if not tps:
            return Reading(Flushes(), {})
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        begin = {tp: starts[tp] for tp in tps}
        if since is not None and all(
            tp.partition in since.ends and starts[tp] <= since.ends[tp.partition] <= ends[tp]
            for tp in tps
        ):
            flushes = since.flushes
            begin = {tp: since.ends[tp.partition] for tp in tps}
        else:
            flushes = Flushes()
        reached = {tp.partition: ends[tp] for tp in tps}
        remaining = {tp for tp in tps if ends[tp] > begin[tp]}
        for tp in remaining:
            consumer.seek(tp, begin[tp])
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=100_000)
            for tp, records in fetched.items():
                flushes.extend(tp.partition, records)
            for tp in list(remaining):
                # Positions, not the last record: compaction and markers leave gaps.
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return Reading(flushes, reached)
