"""The local Apache Kafka broker (deploy/kafka) really works end to end.

Starts its own broker on 127.0.0.1:19192 in a temporary state dir (or uses
$SERVICEPULSE_TEST_BROKER), creates a 4-partition topic, produces 100 keyed
messages with kafka-python (acks=all), reads them back with kafka-python and
aiokafka (the client Faust uses), checks that every key stays on one
partition, then stops the broker and checks that no process of it is left.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import defaultdict

import pytest

from tests.kafka_broker import KafkaBroker
from tests.processes import free_port

# 0: a free port (+ the next one for the controller), away from any other broker.
PORT = int(os.environ.get("SERVICEPULSE_TEST_KAFKA_PORT", "0"))
PARTITIONS = 4
MESSAGES = 100
KEYS = [f"T-{i:04d}" for i in range(20)]  # ticket ids: 5 messages each


def _create_topic(bootstrap: str, topic: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sp-test-admin")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
        deadline = time.monotonic() + 30
        while True:
            described = admin.describe_topics([topic])
            parts = described[0].get("partitions") or []
            if len(parts) == PARTITIONS and all(
                p.get("leader_id", p.get("leader", -1)) >= 0 for p in parts
            ):
                return
            assert time.monotonic() < deadline, f"topic {topic} never got leaders: {described}"
            time.sleep(0.2)
    finally:
        admin.close()


def _produce(bootstrap: str, topic: str) -> dict[str, set[int]]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    sent: dict[str, set[int]] = defaultdict(set)
    try:
        futures = []
        for i in range(MESSAGES):
            key = KEYS[i % len(KEYS)]
            value = f'{{"ticket_id": "{key}", "seq": {i}}}'.encode()
            futures.append((key, producer.send(topic, key=key.encode(), value=value)))
        producer.flush(timeout=30)
        for key, fut in futures:
            sent[key].add(fut.get(timeout=30).partition)
    finally:
        producer.close(timeout=10)
    return sent


def _consume_kafka_python(bootstrap: str, topic: str) -> list[tuple[str, int, int]]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"sp-test-kp-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    got: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + 60
    try:
        while len(got) < MESSAGES and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                got.extend((r.key.decode(), r.partition, r.offset) for r in records)
    finally:
        consumer.close()
    return got


async def _consume_aiokafka(bootstrap: str, topic: str) -> list[tuple[str, int, int]]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"sp-test-aio-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + 60
    try:
        while len(got) < MESSAGES and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                got.extend((r.key.decode(), r.partition, r.offset) for r in records)
    finally:
        await consumer.stop()
    return got


def _check(got: list[tuple[str, int, int]], sent: dict[str, set[int]], who: str) -> None:
    assert len(got) == MESSAGES, f"{who}: consumed {len(got)} of {MESSAGES}"
    assert len({(p, o) for _, p, o in got}) == MESSAGES, f"{who}: duplicate records"
    seen: dict[str, set[int]] = defaultdict(set)
    for key, partition, _ in got:
        seen[key].add(partition)
    assert dict(seen) == dict(sent), f"{who}: key->partition differs from what was produced"


@pytest.mark.kafka
def test_broker_roundtrip_and_clean_stop(tmp_path):
    broker = KafkaBroker.from_env(port=PORT or free_port(pair=True), state_dir=tmp_path / "kafka")
    broker.start()
    try:
        assert broker.is_running()
        topic = f"sp-test-{uuid.uuid4().hex[:10]}"
        _create_topic(broker.bootstrap, topic)

        sent = _produce(broker.bootstrap, topic)
        # Every key sticks to exactly one partition, and the keys spread out.
        assert set(sent) == set(KEYS)
        assert all(len(parts) == 1 for parts in sent.values()), sent
        used = set().union(*sent.values())
        assert used <= set(range(PARTITIONS))
        assert len(used) > 1, f"20 keys all hashed to one partition: {sent}"

        _check(_consume_kafka_python(broker.bootstrap, topic), sent, "kafka-python")
        _check(asyncio.run(_consume_aiokafka(broker.bootstrap, topic)), sent, "aiokafka")
    finally:
        pid = broker.pid
        broker.stop()

    if broker.is_external:
        return
    assert not broker.is_running()
    assert not broker.pid_file.exists()
    assert broker.processes() == [], "a broker JVM survived stop"
    if pid is not None:
        assert not _alive(pid), f"broker pid {pid} still alive after stop"


def _alive(pid: int) -> bool:
    """True if pid is a live process (a reaped or zombie one counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
