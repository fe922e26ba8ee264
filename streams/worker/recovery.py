"""Recovery in bulk: the owned changelog partitions read straight into the engine.

Faust's table recovery puts every changelog record through its per-message path (plus an
``asyncio.wait_for`` per record). Here a group-less aiokafka consumer is assigned the
changelog partitions of the newly owned input partitions, seeks to their beginning, and
reads them with ``getmany`` up to the end offsets taken at the start; the latest value of
every key wins (a tombstone removes the key), and the result goes to ``State.load``.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("servicepulse.worker")

FETCH_MAX_BYTES = 64 * 1024 * 1024
PARTITION_FETCH_BYTES = 16 * 1024 * 1024


async def read_changelog(
    bootstrap: list[str], topic: str, partitions: set[int], client_options: dict[str, Any]
) -> dict[bytes, bytes | None]:
    """The latest value of every key in ``partitions`` of ``topic`` (None: a tombstone)."""
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
    latest: dict[bytes, bytes | None] = {}
    try:
        known = consumer.partitions_for_topic(topic) or set()
        if not known:
            await consumer._client.force_metadata_update()
            known = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions) if p in known]
        if not tps:
            return latest
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > starts[tp]}
        if not remaining:
            return latest
        await consumer.seek_to_beginning(*remaining)
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=100_000)
            for records in fetched.values():
                for record in records:
                    latest[record.key] = record.value
            for tp in list(remaining):
                # Positions, not the last record: compaction and markers leave gaps.
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return latest
