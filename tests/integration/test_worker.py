"""`servicepulse worker` against a real Kafka broker (deploy/kafka), as subprocesses.

One broker for the module (``KafkaBroker.from_env``: $SERVICEPULSE_TEST_BROKER reuses a
running one). Every test uses its own topics, consumer group, data dir and ports, and
stops its workers and deletes its topics at the end.

Comparisons with ``servicepulse replay`` parse both expositions. The worker runs with
``--clock event`` there (its clock is the watermark of the event times, as replay's is the
latest event time), and the event files end with one "clock" ticket per partition at the
last instant, so every worker's clock ends where replay's does.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.core.events import parse_ts
from streams.simulator import ContactCentre, SimConfig, iso
from tests.kafka_broker import KafkaBroker
from tests.processes import free_port

pytestmark = pytest.mark.timeout(300)

PARTITIONS = 4
REPO = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
NOT_COMPARED = ("servicepulse_worker_", "faust_", "servicepulse_event_lag_seconds")


# ---- infrastructure ---------------------------------------------------------------------------


def partition_of(key: bytes, partitions: int = PARTITIONS) -> int:
    """Where kafka-python's default partitioner (murmur2, as Java's) puts ``key``."""
    from kafka.partitioner.default import murmur2

    return (murmur2(key) & 0x7FFFFFFF) % partitions


class Kafka:
    """Topics, producing and consuming for one test."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.bootstrap = broker.bootstrap
        tag = uuid.uuid4().hex[:8]
        self.topic = f"sp-test-{tag}"
        self.dlq = f"{self.topic}.dlq"
        self.app_id = f"sp-test-app-{tag}"

    def create(self) -> None:
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            spec = {"num_partitions": PARTITIONS, "replication_factor": 1}
            admin.create_topics({self.topic: spec, self.dlq: spec}, wait_for_metadata=True)
        finally:
            admin.close()

    def delete(self) -> None:
        from kafka.admin import KafkaAdminClient

        with contextlib.suppress(Exception):
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
            try:
                names = {self.topic, self.dlq, f"{self.app_id}-tickets-changelog"}
                admin.delete_topics(sorted(names & set(admin.list_topics())))
            finally:
                admin.close()

    def produce(
        self, lines: list[bytes], delay: float = 0.0, sent: list[int] | None = None
    ) -> None:
        """Produce ``lines``; ``sent[0]`` counts the lines flushed so far (a progress mark)."""
        from kafka import KafkaProducer

        from streams.commands.simulate import key_of

        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        try:
            for n, line in enumerate(lines):
                producer.send(self.topic, key=key_of(line), value=line)
                if delay and n % 100 == 99:
                    producer.flush()
                    if sent is not None:
                        sent[0] = n + 1
                    time.sleep(delay)
            producer.flush()
        finally:
            producer.close()

    def consume_dlq(self, expected: int, timeout: float = 30.0) -> list[Any]:
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(
            self.dlq,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=1000,
        )
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        try:
            while len(records) < expected and time.monotonic() < deadline:
                records.extend(consumer)
        finally:
            consumer.close()
        return records


class WorkerProcess:
    """``servicepulse worker`` as a subprocess with its own port and data dir."""

    def __init__(self, kafka: Kafka, tmp: Path, name: str, *options: str) -> None:
        self.port = free_port()
        self.log = tmp / f"{name}.log"
        self.data_dir = tmp / f"{name}-data"
        self.args = [
            sys.executable,
            "-m",
            "streams.cli",
            "worker",
            "--broker",
            kafka.bootstrap,
            "--topic",
            kafka.topic,
            "--dlq-topic",
            kafka.dlq,
            "--app-id",
            kafka.app_id,
            "--partitions",
            str(PARTITIONS),
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "info",
            *options,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env
            )
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(self.url("/health"), timeout=5) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except OSError:
            return None

    def scrape(self) -> Samples:
        with urllib.request.urlopen(self.url("/metrics"), timeout=10) as response:
            return samples(response.read().decode())

    def tallies(self) -> dict[int, Samples]:
        """Each partition's tally (``/metrics/partition/<p>``), found as Prometheus finds them."""
        with urllib.request.urlopen(self.url("/metrics/partitions"), timeout=10) as response:
            groups = json.loads(response.read())
        found = {}
        for group in groups:
            path = group["labels"]["__metrics_path__"]
            with urllib.request.urlopen(self.url(path), timeout=10) as response:
                found[int(group["labels"]["partition"])] = samples(response.read().decode())
        return found

    def wait_ready(self, timeout: float = 60.0) -> None:
        wait_for(
            lambda: (self.health() or {}).get("status") == "ok",
            timeout,
            f"worker never ready; log:\n{self.tail()}",
        )

    def messages(self) -> float:
        return value(self.scrape(), "servicepulse_worker_messages_total")

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])
        except OSError:
            return ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def kafka(kafka_broker: KafkaBroker) -> Iterator[Kafka]:
    topics = Kafka(kafka_broker)
    topics.create()
    try:
        yield topics
    finally:
        topics.delete()


@pytest.fixture
def workers(kafka: Kafka, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def make(name: str, *options: str) -> WorkerProcess:
        worker = WorkerProcess(kafka, tmp_path, name, *options).start()
        started.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in started:
            worker.stop(timeout=15)


def settle(predicate: Callable[[], bool], timeout: float) -> None:
    """Wait until ``predicate`` holds or ``timeout`` passes (the caller asserts after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if predicate():
                return
        time.sleep(0.3)


def wait_for(predicate: Callable[[], bool], timeout: float, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s: {message}")
        time.sleep(0.2)


# ---- metrics ------------------------------------------------------------------------------------


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(all_samples: Samples, name: str, **labels: str) -> float:
    return all_samples.get((name, frozenset(labels.items())), 0.0)


def total(all_samples: Samples, name: str, **labels: str) -> float:
    """Sum of every series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, lbl), v in all_samples.items() if n == name and wanted <= lbl)


def replay(path: Path, *options: str) -> Samples:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", str(path), *options],
        capture_output=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )
    return samples(done.stdout.decode())


def compared(all_samples: Samples) -> Samples:
    return {k: v for k, v in all_samples.items() if not k[0].startswith(NOT_COMPARED)}


def differences(got: Samples, want: Samples, names: tuple[str, ...] | None = None) -> list[str]:
    keys = set(compared(got)) | set(compared(want))
    if names is not None:
        keys = {k for k in keys if k[0].startswith(names)}
    found = []
    for key in sorted(keys, key=str):
        if (key in got) != (key in want):
            # a drained gauge reads 0 where it was once seen, and is absent where it was not
            if not (key[0].startswith(ALL_GAUGES) and got.get(key, want.get(key)) == 0):
                side = "worker" if key in got else "replay"
                found.append(f"{key[0]}{dict(key[1])}: only in {side}")
            continue
        a, b = got[key], want[key]
        if abs(a - b) > 1e-6 * max(1.0, abs(b)):
            found.append(f"{key[0]}{dict(key[1])}: worker {a} != replay {b}")
    return found


GAUGES = (
    "servicepulse_open_tickets",
    "servicepulse_unanswered_tickets",
    "servicepulse_sla_breached_open_tickets",
    "servicepulse_sla_at_risk_tickets",
)
# every gauge family (open_tickets is a prefix of open_tickets_by_channel)
ALL_GAUGES = (
    *GAUGES,
    "servicepulse_oldest_open_ticket_age_seconds",
    "servicepulse_oldest_unanswered_ticket_age_seconds",
    "servicepulse_orphan_events",
    "servicepulse_sla_next_deadline_seconds",
    "servicepulse_sla_warning_clocks",
    "servicepulse_sla_breached_running_clocks",
)
# gauges over several workers: the oldest age is the largest, the next deadline the nearest
MAX_ACROSS = (
    "servicepulse_oldest_open_ticket_age_seconds",
    "servicepulse_oldest_unanswered_ticket_age_seconds",
)
MIN_ACROSS = ("servicepulse_sla_next_deadline_seconds",)


def without_gauges(all_samples: Samples) -> Samples:
    return {k: v for k, v in all_samples.items() if not k[0].startswith(ALL_GAUGES)}


def only_gauges(all_samples: Samples) -> Samples:
    return {k: v for k, v in all_samples.items() if k[0].startswith(ALL_GAUGES)}


def subtracted(more: Samples, less: Samples) -> Samples:
    """Counters and histograms of ``more`` minus those of ``less`` (series of ``more``)."""
    return {k: v - less.get(k, 0.0) for k, v in without_gauges(compared(more)).items()}


def summed(*scrapes: Samples) -> Samples:
    """Sum of several workers' samples (the max of ages, the min of next deadlines)."""
    result: Samples = {}
    for scrape in scrapes:
        for key, v in scrape.items():
            if key[0] in MAX_ACROSS:
                result[key] = max(result.get(key, 0.0), v)
            elif key[0] in MIN_ACROSS:
                result[key] = min(result.get(key, float("inf")), v)
            else:
                result[key] = result.get(key, 0.0) + v
    return result


# ---- events -------------------------------------------------------------------------------------


def simulated(seed: int, hours: float, per_hour: float = 300.0) -> list[bytes]:
    """Simulated events of ``hours``, all in the past, plus one clock ticket per partition."""
    start = (time.time() // 3600 - 72) * 3600
    config = SimConfig(seed=seed, arrivals_per_hour=per_hour, flat_arrivals=True)
    events = list(ContactCentre(config, start).events(start + hours * 3600))
    lines = [orjson.dumps(e) for e in events]
    last = parse_ts(events[-1]["ts"])
    return lines + clock_tickets(last, f"clock{seed}")


def clock_tickets(ts: float, prefix: str) -> list[bytes]:
    """One ticket created at ``ts`` on each partition (moves every partition's clock to ts)."""
    lines, seen, n = [], set(), 0
    while len(seen) < PARTITIONS:
        ticket = f"{prefix}-{n}"
        n += 1
        partition = partition_of(ticket.encode())
        if partition in seen:
            continue
        seen.add(partition)
        lines.append(
            orjson.dumps(
                {
                    "event_id": f"{ticket}-e",
                    "type": "ticket.created",
                    "ticket_id": ticket,
                    "ts": iso(ts),
                    "team": "billing",
                    "channel": "email",
                    "priority": "low",
                    "customer_id": "C-clock",
                }
            )
        )
    return lines


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


# ---- tests --------------------------------------------------------------------------------------


@pytest.mark.kafka
def test_worker_metrics_equal_replay(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    lines = simulated(seed=11, hours=10)
    path = write(tmp_path / "events.jsonl", lines)
    kafka.produce(lines)
    worker = workers("w", "--clock", "event")
    worker.wait_ready()
    wait_for(lambda: worker.messages() >= len(lines), 90, f"not all consumed:\n{worker.tail()}")
    got, want = worker.scrape(), replay(path)
    assert (worker.health() or {}).get("event_loop") == "asyncio"  # the default loop
    assert total(want, "servicepulse_sla_outcomes_total", outcome="breached") > 0
    assert total(want, "servicepulse_sla_outcomes_total", outcome="met") > 0
    assert differences(got, want) == []
    # the histograms are compared in full (buckets, _count, _sum), gauges too
    assert (
        value(
            got,
            "servicepulse_first_response_seconds_count",
            **{
                "team": "billing",
                "channel": "phone",
                "priority": "normal",
                "customer_tier": "standard",
            },
        )
        > 0
    )


@pytest.mark.kafka
def test_poison_messages_go_to_the_dead_letter_topic(
    kafka: Kafka, workers: Callable[..., WorkerProcess]
) -> None:
    now = iso(time.time())
    good = [
        orjson.dumps(
            {
                "event_id": f"p{i}",
                "type": "ticket.created",
                "ticket_id": "P1",
                "ts": now,
                "team": "sales",
                "channel": "chat",
                "priority": "high",
                "customer_id": "C1",
            }
        )
        for i in range(1)
    ]
    poison = [
        (b"\x00\xff\xfe garbage \x81", "invalid_json"),
        (b"[1, 2, 3]", "not_an_object"),
        (
            orjson.dumps(
                {"event_id": "x1", "type": "ticket.exploded", "ticket_id": "P1", "ts": now}
            ),
            "unknown_type",
        ),
        (
            orjson.dumps(
                {
                    "event_id": "x2",
                    "type": "ticket.created",
                    "ticket_id": "P2",
                    "ts": now,
                    "team": 42,
                    "channel": "chat",
                    "priority": "high",
                    "customer_id": "C2",
                }
            ),
            "wrong_type",
        ),
        (
            orjson.dumps(
                {
                    "event_id": "x3",
                    "type": "message.customer",
                    "ticket_id": "P1",
                    "ts": "2026-11-23T10:00:00",
                }
            ),
            "bad_timestamp",
        ),
        (
            orjson.dumps(
                {
                    "event_id": "x4",
                    "type": "survey.response",
                    "ticket_id": "P1",
                    "ts": now,
                    "kind": "csat",
                    "score": 9,
                }
            ),
            "out_of_range",
        ),
    ]
    after = [
        orjson.dumps(
            {
                "event_id": "p2",
                "type": "message.agent",
                "ticket_id": "P1",
                "ts": now,
                "agent_id": "a1",
            }
        ),
        orjson.dumps(
            {
                "event_id": "p3",
                "type": "ticket.created",
                "ticket_id": "P3",
                "ts": now,
                "team": "sales",
                "channel": "phone",
                "priority": "low",
                "customer_id": "C3",
            }
        ),
    ]
    kafka.produce(good + [raw for raw, _ in poison] + after)
    worker = workers("w", "--clock", "wall")
    worker.wait_ready()
    total_messages = len(good) + len(poison) + len(after)
    wait_for(lambda: worker.messages() >= total_messages, 60, worker.tail())
    got = worker.scrape()
    for _, reason in poison:
        assert value(got, "servicepulse_events_rejected_total", reason=reason) == 1, reason
    assert total(got, "servicepulse_tickets_created_total") == 2  # P1 and P3: the stream went on
    assert total(got, "servicepulse_events_processed_total", type="message.agent") == 1
    records = kafka.consume_dlq(len(poison))
    assert len(records) == len(poison)
    by_value = {r.value: dict(r.headers) for r in records}
    for raw, reason in poison:
        assert by_value[raw]["servicepulse-reason"] == reason.encode()  # unchanged bytes
    from streams.commands.simulate import key_of

    # each dead letter keeps the key it was produced with (the ticket_id, none when unreadable)
    assert sorted((r.value, r.key) for r in records) == sorted(
        (raw, key_of(raw)) for raw, _ in poison
    )
    assert {r.key for r in records} >= {b"P1", b"P2"}


@pytest.mark.kafka
def test_breach_detected_by_the_timer_without_further_events(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "policies:\n"
        "  - name: quick\n"
        "    match: {}\n"
        "    calendar: always\n"
        "    targets: {first_response: 8s, resolution: 1h}\n"
    )
    worker = workers(
        "w",
        "--clock",
        "wall",
        "--grace",
        "0.5",
        "--tick",
        "0.2",
        "--policy",
        str(policy),
        "--event-loop",
        "uvloop",  # the option's loop does it as well
    )
    worker.wait_ready()
    assert (worker.health() or {}).get("event_loop") == "uvloop"
    created = time.time()
    kafka.produce(
        [
            orjson.dumps(
                {
                    "event_id": "b1",
                    "type": "ticket.created",
                    "ticket_id": "B1",
                    "ts": iso(created),
                    "team": "technical",
                    "channel": "email",
                    "priority": "normal",
                    "customer_id": "C9",
                }
            )
        ]
    )
    wait_for(lambda: worker.messages() >= 1, 30, worker.tail())
    labels = {
        "team": "technical",
        "channel": "email",
        "priority": "normal",
        "customer_tier": "standard",
        "policy": "quick",
        "target": "first_response",
    }
    got = worker.scrape()
    assert time.time() < created + 8.0, "too slow to see the clock before its deadline"
    assert value(got, "servicepulse_sla_outcomes_total", outcome="breached", **labels) == 0
    assert value(got, "servicepulse_sla_outcomes_total", outcome="met", **labels) == 0
    wait_for(
        lambda: (
            value(worker.scrape(), "servicepulse_sla_outcomes_total", outcome="breached", **labels)
            == 1
        ),
        15,
        worker.tail(),
    )
    detected = time.time()
    assert detected - created > 8.0  # not before the deadline
    assert detected - created < 8.0 + 0.5 + 3.0  # deadline + grace + tick/scrape slack
    got = worker.scrape()
    assert (
        value(
            got, "servicepulse_sla_breached_open_tickets", team="technical", target="first_response"
        )
        == 1
    )
    time.sleep(1.0)  # counted once, not on every tick
    assert (
        value(worker.scrape(), "servicepulse_sla_outcomes_total", outcome="breached", **labels) == 1
    )


@pytest.mark.kafka
def test_sigkill_and_restart_recovers_state_without_double_counting(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    lines = simulated(seed=23, hours=12)
    cut = len(lines) * 6 // 10
    first, rest = lines[:cut], lines[cut:]
    all_path = write(tmp_path / "all.jsonl", lines)
    first_path = write(tmp_path / "first.jsonl", first)
    kafka.produce(first)
    options = ("--clock", "event")
    worker = workers("w1", *options)
    worker.wait_ready()
    wait_for(lambda: worker.messages() >= len(first), 90, worker.tail())
    time.sleep(4.0)  # > Faust's commit interval (2.8 s): the first part is committed
    sent = [0]
    producing = threading.Thread(target=kafka.produce, args=(rest, 0.1, sent))
    producing.start()
    try:
        wait_for(lambda: worker.messages() >= len(first) + 300, 60, worker.tail())
        worker.kill()  # SIGKILL mid-stream
        unsent = sent[0] + 100  # the lines from here on were sent after the kill
    finally:
        producing.join()
    late_path = write(tmp_path / "late.jsonl", rest[unsent:])
    again = workers("w1-again", *options)  # same group; a data dir of its own
    again.wait_ready()
    want_all = replay(all_path)
    want_first = replay(first_path)

    want_late = replay(late_path)
    settle(lambda: not differences(again.scrape(), want_all, ALL_GAUGES), 90)
    got = again.scrape()
    assert differences(got, want_all, ALL_GAUGES) == [], json.dumps(again.health())
    # Nothing the first worker never saw is lost: every fact a replay of the lines sent after
    # the kill finds (its tickets are whole there; older tickets' events are only held) is in.
    assert len(rest) - unsent > 1000, "the kill came too late to bound anything"
    for key, n in without_gauges(compared(want_late)).items():
        if key[0] != "servicepulse_events_rejected_total":  # held events may expire there
            assert got.get(key, 0.0) >= n - 1e-9, key
    # No SLA outcome of the committed first part is counted again after the restart.
    for key, n in got.items():
        if key[0] == "servicepulse_sla_outcomes_total":
            assert n <= want_all.get(key, 0) - want_first.get(key, 0) + 1e-9, key
    assert total(got, "servicepulse_tickets_created_total") <= (
        total(want_all, "servicepulse_tickets_created_total")
        - total(want_first, "servicepulse_tickets_created_total")
    )


@pytest.mark.kafka
def test_two_workers_split_the_partitions_and_take_over(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    lines = simulated(seed=31, hours=8)
    path = write(tmp_path / "events.jsonl", lines)
    options = ("--clock", "event")
    a = workers("a", *options)
    b = workers("b", *options)
    a.wait_ready()
    b.wait_ready()

    def split() -> bool:
        pa, pb = (a.health() or {}).get("partitions"), (b.health() or {}).get("partitions")
        return bool(pa) and bool(pb) and sorted(pa + pb) == list(range(PARTITIONS))

    wait_for(split, 60, f"partitions not split:\n{a.tail()}\n{b.tail()}")
    kafka.produce(lines)
    wait_for(lambda: a.messages() + b.messages() >= len(lines), 90, a.tail())
    want = replay(path)
    both = summed(a.scrape(), b.scrape())
    assert a.messages() > 0 and b.messages() > 0
    assert differences(both, want) == []
    a_before = without_gauges(compared(a.scrape()))
    b.stop()
    wait_for(lambda: (a.health() or {}).get("partitions") == list(range(PARTITIONS)), 60, a.tail())
    settle(lambda: not differences(a.scrape(), want, ALL_GAUGES), 30)
    after = a.scrape()
    assert differences(after, want, ALL_GAUGES) == []
    # taking over state counts nothing again: a's counters are what they were (the outcome
    # series of the tickets it loaded are new, primed at 0 so a first breach is an increase)
    taken = {k: v for k, v in without_gauges(after).items() if v != 0 or k in a_before}
    assert differences(taken, a_before) == []


@pytest.mark.kafka
def test_messages_the_consumer_skipped_are_read_again(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    """Offsets committed past the state (as Faust does when it drops fetched records while
    resuming the streams after a recovery): the worker seeks back to its own position."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    lines = simulated(seed=41, hours=4)
    path = write(tmp_path / "events.jsonl", lines)
    cut = len(lines) // 2
    first, middle, tail = lines[:cut], lines[cut:-PARTITIONS], lines[-PARTITIONS:]
    kafka.produce(first)
    options = ("--clock", "event")
    w1 = workers("w1", *options)
    w1.wait_ready()
    wait_for(lambda: w1.messages() >= len(first), 90, w1.tail())
    w1.stop()
    kafka.produce(middle)
    # Commit the group past `middle`, which no worker has read.
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap, group_id=kafka.app_id, enable_auto_commit=False
    )
    try:
        tps = [TopicPartition(kafka.topic, p) for p in range(PARTITIONS)]
        ends = consumer.end_offsets(tps)
        consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in tps})
    finally:
        consumer.close()
    kafka.produce(tail)  # one clock ticket per partition: delivered past the hole
    w2 = workers("w2", *options)
    w2.wait_ready()
    want = replay(path)
    want_first = replay(write(tmp_path / "first.jsonl", first))
    settle(lambda: not differences(w2.scrape(), want, ALL_GAUGES), 60)
    got = w2.scrape()
    assert differences(got, want, ALL_GAUGES) == [], w2.tail()
    assert value(got, "servicepulse_worker_rewinds_total") >= 1
    # w2 counted exactly what `middle` and `tail` add to `first` (w1 stopped cleanly)
    expected = subtracted(want, want_first)
    # a series `first` alone primed at 0 is not w2's to expose
    expected = {k: v for k, v in expected.items() if v != 0 or k in got}
    assert differences(without_gauges(got), expected) == [], w2.tail()


# ---- State, without Kafka ---------------------------------------------------------------------


class FakeMessage:
    def __init__(self, partition: int, offset: int, value: bytes) -> None:
        self.partition, self.offset, self.value = partition, offset, value
        self.key, self.topic = None, "t"


def test_state_applies_each_offset_once_and_stops_at_a_hole() -> None:
    import argparse

    from streams.core.policy import DEFAULT_POLICY_SET
    from streams.kafka.settings import WORKER_OPTIONS, resolve
    from streams.worker.app import Rewind, State

    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    state.load([], {0})
    state.expect(0)
    now = iso(time.time())

    def created(n: int) -> bytes:
        return orjson.dumps(
            {
                "event_id": f"e{n}",
                "type": "ticket.created",
                "ticket_id": f"T{n}",
                "ts": now,
                "team": "sales",
                "channel": "chat",
                "priority": "high",
                "customer_id": "C",
            }
        )

    batch = [FakeMessage(0, n, created(n)) for n in range(5)]
    state.process(batch, time.time())
    assert state.last_offset[0] == 4 and len(state.tickets) == 5
    state.process(batch[2:], time.time())  # re-delivered: skipped
    assert state.skipped == 3 and state.last_offset[0] == 4
    state.process([FakeMessage(0, 8, created(8)), FakeMessage(0, 9, created(9))], time.time())
    assert "T8" not in state.tickets and "T9" not in state.tickets
    assert state.rewinds[0].expected == 5 and state.rewinds[0].seen == 8
    state.rewinds[0].sought = True  # the worker sought back to 5
    state.process([FakeMessage(0, 10, created(10))], time.time())  # fetched before the seek
    assert "T10" not in state.tickets
    state.process([FakeMessage(0, n, created(n)) for n in range(5, 11)], time.time())
    assert not state.rewinds and state.last_offset[0] == 10
    assert {f"T{n}" for n in range(11)} <= set(state.tickets)
    # A hole that stays after the seeks back (the offsets do not exist) is passed; before
    # that, a message at or below the first one past the hole only asks for another seek.
    state.process([FakeMessage(0, 14, created(14))], time.time())
    rewind = state.rewinds[0]
    rewind.sought, rewind.seeks, rewind.first_seek = True, 1, time.monotonic()
    state.process([FakeMessage(0, 14, created(14))], time.time())
    assert "T14" not in state.tickets and not rewind.sought  # seek again
    rewind.sought, rewind.seeks = True, Rewind.SEEKS
    rewind.first_seek = time.monotonic() - Rewind.SECONDS
    state.process([FakeMessage(0, 14, created(14))], time.time())
    assert not state.rewinds and "T14" in state.tickets and state.last_offset[0] == 14
    # Messages of a partition not owned (fetched before a revocation) are not applied.
    state.process([FakeMessage(3, 0, created(30))], time.time())
    assert "T30" not in state.tickets
    records = list(state.take_touched())
    assert (0, b"\x00clock:0", b"0|2|" + orjson.dumps([parse_ts(now), 14])) in records
