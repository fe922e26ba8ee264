"""Where the worker's own CPU goes per batch, without Kafka (figures, not a test).

    python bench/worker_cpu.py [--events 60000] [--batch 2000] [--rounds 2] [--flush-events 15000]

The same simulated records (4 partitions, keyed by ticket) go (a) through a bare
``Engine.ingest`` loop (bench/worker.py's "bare + engine" loop without aiokafka), (b)
through the worker's ``State.process`` with its event clock, batch by batch, and (c) as
(b) plus ``State.take_touched``: the changelog records each batch writes (touched tickets,
changed tally series, clock records), serialised but not produced, (c1) after every
batch (the worker before its flushes were spaced) and (c2) once every ``--flush-events``
events (about what ``changelog.FLUSH_EVERY``, 0.5 s, holds at 30,000 events/s). Prints
each rate (CPU time of this process, so that other processes on a shared machine count
less) as a ratio to (a) of the same round, and the changelog records written per
event (and how many of them are tally series).
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streams.core.engine import Engine  # noqa: E402
from streams.core.policy import DEFAULT_POLICY_SET  # noqa: E402
from streams.export.exporter import Exporter  # noqa: E402
from streams.kafka.settings import WORKER_OPTIONS, resolve  # noqa: E402
from streams.simulator import ContactCentre, SimConfig  # noqa: E402
from streams.worker.records import SERIES_KEY  # noqa: E402
from streams.worker.state import State  # noqa: E402

PARTITIONS = 4


class Record:
    __slots__ = ("key", "offset", "partition", "topic", "value")


def records(count: int) -> list[Record]:
    """Simulated events as consumer records, partitioned by ticket as the producer does."""
    start = time.time() - 30 * 86400
    config = SimConfig(seed=5, arrivals_per_hour=3000, flat_arrivals=True)
    offsets = [0] * PARTITIONS
    out = []
    for event in ContactCentre(config, start).events():
        record = Record()
        record.key = event["ticket_id"].encode()
        record.partition = zlib.crc32(record.key) % PARTITIONS
        record.offset = offsets[record.partition]
        offsets[record.partition] += 1
        record.value, record.topic = orjson.dumps(event), "interactions"
        out.append(record)
        if len(out) >= count:
            break
    return out


def batches(all_records: list[Record], size: int) -> Iterator[list[Record]]:
    """Fetches of ``size`` records, each partition's in offset order (as the consumer)."""
    for i in range(0, len(all_records), size):
        yield sorted(all_records[i : i + size], key=lambda r: r.partition)


def bare(all_records: list[Record], size: int) -> float:
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    started = time.process_time()
    for batch in batches(all_records, size):
        for record in batch:
            engine.ingest(record.value, event_clock=True)
    return time.process_time() - started


def worker(all_records: list[Record], size: int, flush_events: int) -> tuple[float, int, int]:
    """Seconds, changelog records and tally series records; ``flush_events`` 0: no changelog."""
    settings = resolve(argparse.Namespace(clock="event"), WORKER_OPTIONS, {})
    state = State(settings, DEFAULT_POLICY_SET)
    state.load([], set(range(PARTITIONS)))
    for partition in range(PARTITIONS):
        state.expect(partition)
    idle = dict.fromkeys(range(PARTITIONS))
    written = series = unflushed = 0
    started = time.process_time()
    for batch in batches(all_records, size):
        state.process(batch, time.time())
        clock = state.watermark(idle)
        if clock is not None:
            state.advance(clock)
        unflushed += len(batch)
        if flush_events and unflushed >= flush_events:
            unflushed = 0
            for _, key, _ in state.take_touched():
                written += 1
                series += key.startswith(SERIES_KEY)
    return time.process_time() - started, written, series


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--flush-events", type=int, default=15_000)
    args = parser.parse_args()
    all_records = records(args.events)
    n = len(all_records)
    for round_ in range(1, args.rounds + 1):
        base = bare(all_records, args.batch)
        processed, _, _ = worker(all_records, args.batch, 0)
        full, written, series = worker(all_records, args.batch, 1)
        spaced, spaced_written, spaced_series = worker(all_records, args.batch, args.flush_events)
        print(
            f"round {round_}: bare engine {n / base:,.0f} events/s; worker process + clock "
            f"{base / processed:.3f}; + changelog records every batch {base / full:.3f} "
            f"({written / n:.2f} records per event, {series / n:.2f} of them tally series); "
            f"every {args.flush_events:,} events {base / spaced:.3f} "
            f"({spaced_written / n:.2f}, {spaced_series / n:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
