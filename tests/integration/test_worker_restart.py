"""A worker restarted in its own data dir: the read ahead, and crashes between spaced flushes.

Changelog flushes are spaced (``changelog.FLUSH_EVERY``): a worker killed mid-stream has
applied events whose state never reached the changelog, and perhaps left a flush cut
short. A worker restarted with the same data dir reads the changelog of its last
partitions while Faust starts (``ahead.py``). Whatever was killed when, the partitions'
tallies (counters and histograms since the first event) and the gauges must end exactly
as ``replay`` of the same events. ``read_changelog`` resumed from an earlier read must
find what a read from the start finds.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.worker import records
from streams.worker.recovery import read_changelog
from tests.integration.test_worker import (
    ALL_GAUGES,
    PARTITIONS,
    Kafka,
    WorkerProcess,
    differences,
    kafka,
    replay,
    settle,
    simulated,
    summed,
    wait_for,
    without_gauges,
    workers,
    write,
)
from tests.kafka_broker import KafkaBroker

__all__ = ["kafka", "workers"]  # fixtures used below


def lag(worker: WorkerProcess) -> float:
    scrape = worker.scrape()
    return sum(v for (name, _), v in scrape.items() if name == "servicepulse_worker_consumer_lag")


@pytest.mark.kafka
def test_a_worker_killed_mid_stream_and_restarted_in_its_data_dir_counts_every_event_once(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    lines = simulated(seed=31, hours=6, per_hour=1500)
    path = write(tmp_path / "events.jsonl", lines)
    options = ("--clock", "event", "--session-timeout", "6")
    worker = workers("a", *options)
    worker.wait_ready(120)
    producing = threading.Thread(target=kafka.produce, args=(lines, 0.02))
    producing.start()

    def killed_and_restarted(worker: WorkerProcess, messages: float) -> WorkerProcess:
        wait_for(lambda: worker.messages() >= messages, 120, worker.tail())
        worker.kill()  # SIGKILL mid-stream
        again = workers("a", *options)  # the same data dir: it reads ahead
        again.wait_ready(120)
        return again

    try:
        worker = killed_and_restarted(worker, len(lines) * 0.3)
        worker = killed_and_restarted(worker, len(lines) * 0.3)
    finally:
        producing.join()
    assert "read ahead [0, 1, 2, 3]" in worker.log.read_text(errors="replace")
    want = replay(path)
    counted = tuple(sorted({name for name, _ in without_gauges(want)}))
    assert any(name.startswith("servicepulse_sla_outcomes") for name in counted)

    def tallies_equal() -> bool:
        if lag(worker) != 0 or sorted((worker.health() or {}).get("partitions", [])) != list(
            range(PARTITIONS)
        ):
            return False
        return not differences(summed(*worker.tallies().values()), want, counted)

    settle(tallies_equal, 120)
    # every counter and histogram since the first event, across both kills: exact
    assert differences(summed(*worker.tallies().values()), want, counted) == [], worker.tail()
    settle(lambda: not differences(worker.scrape(), want, ALL_GAUGES), 60)
    assert differences(worker.scrape(), want, ALL_GAUGES) == [], worker.tail()


@pytest.mark.kafka
def test_a_read_resumed_from_an_earlier_one_finds_what_a_read_from_the_start_finds(
    kafka_broker: KafkaBroker,
) -> None:
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = f"sp-test-changelog-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    admin.create_topics([NewTopic(topic, 2, 1)])
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")

    def send(partition: int, key: bytes, value: bytes | None) -> None:
        producer.send(topic, key=key, value=value, partition=partition)

    def clock(partition: int, offset: int) -> tuple[bytes, bytes]:
        return records.encode_clock(partition, 1.0, offset)

    def read(since: object = None) -> object:
        return asyncio.run(
            read_changelog([kafka_broker.bootstrap], topic, {0, 1}, {}, since)  # type: ignore[arg-type]
        )

    try:
        send(0, b"A", b"0|1|1")
        send(0, b"B", b"0|1|2")
        send(0, *clock(0, 10))
        send(1, b"C", b"1|1|3")
        send(1, *clock(1, 20))
        producer.flush()
        first = read()
        send(0, b"A", b"0|1|4")  # A again, B forgotten, then a clock record
        send(0, b"B", None)
        send(0, *clock(0, 11))
        send(1, b"D", b"1|1|5")  # a flush cut short: no clock record after it
        producer.flush()
        resumed = read(first).stored()  # type: ignore[attr-defined]
        whole = read().stored()  # type: ignore[attr-defined]
        want = {
            b"A": b"0|1|4",
            b"B": None,
            b"C": b"1|1|3",
            clock(0, 11)[0]: clock(0, 11)[1],
            clock(1, 20)[0]: clock(1, 20)[1],
        }
        assert resumed.latest == want and whole.latest == want
        assert resumed.tail == [(1, b"D")] and whole.tail == [(1, b"D")]
    finally:
        producer.close()
        admin.delete_topics([topic])
        admin.close()
