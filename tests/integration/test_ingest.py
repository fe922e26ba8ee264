"""``servicepulse ingest`` in front of a real broker (started here on free ports), and the worker.

200 only once Kafka acknowledged; 503 while the broker is stopped; the
sender's retry after it is back lands on the topic, and the worker reading the
topic counts every ticket once: its /metrics equal ``replay`` of the topic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.test_serve import plain_events
from tests.integration.test_worker import Kafka, WorkerProcess, differences, replay, total, wait_for
from tests.kafka_broker import KafkaBroker
from tests.processes import free_port

TOKEN = "ingest-token-0123456789"  # at least 16 characters (docs/security.md)


def free_pair() -> int:
    import socket

    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    kafka = KafkaBroker.from_env(port=free_pair(), state_dir=tmp_path / "kafka")
    kafka.start()
    try:
        yield kafka
    finally:
        if kafka.is_running():
            kafka.stop()


@pytest.fixture
def kafka(broker: KafkaBroker) -> Iterator[Kafka]:
    topics = Kafka(broker)
    topics.create()
    yield topics


@pytest.fixture
def ingest(broker: KafkaBroker, kafka: Kafka, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = open(tmp_path / "ingest.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "ingest", "--port", str(port), "--token", TOKEN,
         "--broker", broker.bootstrap, "--topic", kafka.topic, "--kafka-timeout", "4"],
        stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError((tmp_path / "ingest.log").read_text())
    try:
        yield url
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def post(url: str, events: list[dict[str, Any]]) -> requests.Response:
    return requests.post(
        f"{url}/v1/events",
        data=json.dumps(events),
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )


def read_topic(broker: KafkaBroker, topic: str) -> list[tuple[bytes | None, bytes]]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        return [(m.key, m.value) for m in consumer]
    finally:
        consumer.close()


@pytest.mark.kafka
def test_ingest_acknowledges_after_kafka_refuses_while_it_is_down_and_the_worker_counts_once(
    broker: KafkaBroker, kafka: Kafka, ingest: str, tmp_path: Path
) -> None:
    first = plain_events("kafka", 6)
    answer = post(ingest, first)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": len(first), "rejected": []}
    messages = read_topic(broker, kafka.topic)
    by_id = lambda events: sorted(events, key=lambda e: e["event_id"])  # noqa: E731
    assert by_id(json.loads(value) for _, value in messages) == by_id(first)
    assert all(key == json.loads(value)["ticket_id"].encode() for key, value in messages)

    broker.stop()
    retried = plain_events("outage", 4)
    answer = post(ingest, retried)
    assert answer.status_code == 503, answer.text
    assert answer.text.count("\n") == 1

    broker.start()
    deadline = time.monotonic() + 90
    while (answer := post(ingest, retried)).status_code != 200:  # the sender retries
        assert time.monotonic() < deadline, answer.text
        time.sleep(1)

    values = [json.loads(value) for _, value in read_topic(broker, kafka.topic)]
    assert {e["event_id"] for e in values} == {e["event_id"] for e in first + retried}
    # the worker reads the topic: its metrics are replay's of what the topic holds
    jsonl = tmp_path / "topic.jsonl"
    jsonl.write_text("".join(json.dumps(v) + "\n" for v in values))
    want = replay(jsonl)
    assert total(want, "servicepulse_tickets_created_total") == 6 + 4  # once each, retry or not
    worker = WorkerProcess(kafka, tmp_path, "worker", "--clock", "event", "--store", "memory")
    worker.start()
    try:
        worker.wait_ready()
        wait_for(lambda: worker.messages() >= len(values), 90, worker.tail())
        # --clock event: a caught-up partition's watermark moves once it has been idle 2 s
        wait_for(lambda: differences(worker.scrape(), want) == [], 30, worker.tail())
        assert differences(worker.scrape(), want) == []
    finally:
        worker.stop(timeout=15)
