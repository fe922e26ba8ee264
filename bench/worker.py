"""Benchmarks of ``servicepulse worker`` against a local broker (figures, not tests).

    deploy/kafka/kafka.sh start
    python bench/worker.py --broker 127.0.0.1:9092            # all four
    python bench/worker.py --broker 127.0.0.1:9092 --only throughput --events 300000

1. throughput: N simulated events are put on a fresh 4-partition topic; then, each pinned
   to one core (``--core``), (a) a bare aiokafka consume-and-decode loop (orjson) reads
   them, (b) the same loop also running the engine (no Faust), (c) ``servicepulse worker``
   consumes them; events/s of each and the worker / bare-loop ratio, and the same per CPU
   second of each process (the worker's threads together): on a machine shared with other
   processes the wall rates move with their load, the CPU rates much less.
2. latency: events produced at a steady ``--rate`` (time-stamped when sent) to a wall-clock
   worker; for every event, the time from its send to the *response* of the first
   /metrics scrape (one every ``--scrape`` s, start to start) whose processed + rejected
   + duplicate count covers it: an upper bound, including the scrape itself. The
   lower bound (the previous scrape's request time) is reported too; the two differ
   by about one scrape period. p50 / p99 / max, scrape period and scrape time.
3. recovery: ``--open`` tickets created and left open; the worker is stopped and a new
   one started in its data dir (it reads the changelog of its last partitions ahead,
   while Faust starts): seconds from the process start to /health "ok" with every ticket
   loaded, the load after the assignment, and the CPU seconds the process used until
   then (on a shared machine the wall time mostly measures the other processes; on an
   idle one it is about the CPU time plus the waits nothing overlaps).
4. takeover: two workers share ``--open`` open tickets; one is SIGKILLed; seconds from the
   kill until the survivor owns every partition and reports every open ticket.

``--before DIR`` also runs throughput and recovery with the worker of another checkout
(e.g. ``git archive main | tar -x -C /tmp/before``), in turns with this one: before and
after in the same run. ``--faust-path`` also measures the worker with ``--drain faust``
(Faust's per-message stream, the path before the batch consumer) in the throughput run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streams.core.engine import Engine  # noqa: E402
from streams.core.policy import DEFAULT_POLICY_SET  # noqa: E402
from streams.export.exporter import Exporter  # noqa: E402
from streams.simulator import ContactCentre, SimConfig, iso  # noqa: E402
from tests.processes import free_port  # noqa: E402

PARTITIONS = 4


def create_topics(bootstrap: str, *names: str) -> None:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        spec = {"num_partitions": PARTITIONS, "replication_factor": 1}
        admin.create_topics({name: spec for name in names}, wait_for_metadata=True)
    finally:
        admin.close()


def delete_topics(bootstrap: str, prefix: str) -> None:
    from kafka.admin import KafkaAdminClient

    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            names = [t for t in admin.list_topics() if t.startswith(prefix)]
            if names:
                admin.delete_topics(names)
        finally:
            admin.close()


def simulated(count: int, seed: int = 5) -> list[tuple[bytes, bytes]]:
    start = time.time() - 30 * 86400
    config = SimConfig(seed=seed, arrivals_per_hour=3000, flat_arrivals=True)
    result = []
    for event in ContactCentre(config, start).events():
        result.append((event["ticket_id"].encode(), orjson.dumps(event)))
        if len(result) >= count:
            break
    return result


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=512 * 1024
    )
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def pin(core: int | None) -> None:
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


# ---- bare loops ---------------------------------------------------------------------------------


async def _bare(
    bootstrap: str, topic: str, total: int, engine: Engine | None
) -> tuple[float, float]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
        fetch_max_bytes=16 << 20,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen = 0
        started = None
        loads = orjson.loads
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if started is None:
                started, cpu = time.perf_counter(), time.process_time()
            for records in batches.values():
                for record in records:
                    if engine is None:
                        loads(record.value)
                    else:
                        engine.ingest(record.value, event_clock=True)
                seen += len(records)
        assert started is not None
        return seen / (time.perf_counter() - started), seen / (time.process_time() - cpu)
    finally:
        await consumer.stop()


def bare_rate(bootstrap: str, topic: str, total: int, with_engine: bool) -> tuple[float, float]:
    """Events per second and per CPU second of the bare loop."""
    engine = Engine(DEFAULT_POLICY_SET, Exporter()) if with_engine else None
    return asyncio.run(_bare(bootstrap, topic, total, engine))


# ---- the worker ---------------------------------------------------------------------------------


class Worker:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        app_id: str,
        data: Path,
        core: int | None,
        *options: str,
        repo: Path = REPO,
    ) -> None:
        self.port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "streams.cli",
            "worker",
            "--broker",
            bootstrap,
            "--topic",
            topic,
            "--dlq-topic",
            topic + ".dlq",
            "--app-id",
            app_id,
            "--port",
            str(self.port),
            "--data-dir",
            str(data),
            *options,
        ]
        if core is not None:
            cmd = ["taskset", "-c", str(core), *cmd]
        self.log = open(data.parent / f"{app_id}-{self.port}.log", "wb")  # noqa: SIM115
        self.started = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(repo)}
        self.proc = subprocess.Popen(
            cmd, cwd=repo, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def get(self, path: str) -> bytes | None:
        try:
            url = f"http://127.0.0.1:{self.port}{path}"
            with urllib.request.urlopen(url, timeout=10) as response:
                body: bytes = response.read()
                return body
        except OSError:
            return None

    def health(self) -> dict[str, Any]:
        body = self.get("/health")
        return json.loads(body) if body else {}

    def counts(self) -> dict[str, float]:
        body = self.get("/metrics")
        result: dict[str, float] = {}
        if body is None:
            return result
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                result[s.name] = result.get(s.name, 0.0) + s.value
        return result

    def processed(self) -> float:
        body = self.get("/health")
        return float(json.loads(body)["events"]) if body else 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait(predicate: Any, timeout: float, step: float = 0.05) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(step)
    raise SystemExit("benchmark timed out")


def worker_rate(
    args: argparse.Namespace, topic: str, tmp: Path, total: int, *extra: str, repo: Path = REPO
) -> tuple[float, float]:
    """Events per second and per CPU second of the worker process (all its threads)."""
    worker = Worker(
        args.broker,
        topic,
        f"bench-{uuid.uuid4().hex[:6]}",
        tmp / "tp",
        args.core,
        "--clock",
        "event",
        *args.worker_option,
        *extra,
        repo=repo,
    )
    try:
        wait(lambda: worker.processed() > 0, 120, 0.01)
        first_seen, cpu = time.perf_counter(), cpu_seconds(worker.proc.pid)
        first = worker.processed()
        done = wait(lambda: worker.processed() >= total, 600, 0.05)
        used = cpu_seconds(worker.proc.pid) - cpu
        return (total - first) / (done - first_seen), (total - first) / used
    finally:
        worker.stop()


def throughput(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    topic = f"bench-tp-{uuid.uuid4().hex[:6]}"
    create_topics(args.broker, topic, topic + ".dlq")
    produce(args.broker, topic, simulated(args.events))
    results: dict[str, float] = {}

    def keep(name: str, rates: tuple[float, float]) -> None:
        """The best of each: events/s and events per CPU second (``<name>_cpu``)."""
        results[name] = max(results.get(name, 0.0), rates[0])
        results[name + "_cpu"] = max(results.get(name + "_cpu", 0.0), rates[1])

    try:
        for _ in range(args.repeat):
            code = (
                f"import sys; sys.path.insert(0, {str(REPO)!r}); "
                f"from bench.worker import bare_rate, pin; pin({args.core}); "
                f"print(*bare_rate({args.broker!r}, {topic!r}, {args.events}, {{}}))"
            )
            for name, engine in (("bare", False), ("bare+engine", True)):
                out = subprocess.run(
                    [sys.executable, "-c", code.format(engine)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=REPO,
                )
                wall, cpu = (float(x) for x in out.stdout.split())
                keep(name, (wall, cpu))
            if args.before:
                keep("worker_before", worker_rate(args, topic, tmp, args.events, repo=args.before))
            keep("worker", worker_rate(args, topic, tmp, args.events))
            if args.faust_path:
                keep(
                    "worker_faust_path",
                    worker_rate(args, topic, tmp, args.events, "--drain", "faust"),
                )
    finally:
        delete_topics(args.broker, topic)
    results["ratio_to_bare"] = results["worker"] / results["bare"]
    results["ratio_to_bare_engine"] = results["worker"] / results["bare+engine"]
    # per CPU second: what the load of other processes on a shared machine moves least
    results["cpu_ratio_to_bare_engine"] = results["worker_cpu"] / results["bare+engine_cpu"]
    if "worker_before" in results:
        results["before_ratio_to_bare_engine"] = results["worker_before"] / results["bare+engine"]
        results["before_cpu_ratio_to_bare_engine"] = (
            results["worker_before_cpu"] / results["bare+engine_cpu"]
        )
    if "worker_faust_path" in results:
        results["speedup_over_faust_path"] = results["worker"] / results["worker_faust_path"]
    return results


VISIBLE = (
    b"servicepulse_events_processed_total",
    b"servicepulse_events_rejected_total",
    b"servicepulse_events_duplicate_total",
)


def visible_count(body: bytes) -> float:
    """Events counted in an exposition: processed + rejected + duplicate (a line scan).

    A full parse of a 700 KB exposition takes the bench ~0.2 s, which would set the
    resolution of the measurement; only these three families are needed.
    """
    total = 0.0
    for line in body.split(b"\n"):
        if line.startswith(VISIBLE):
            total += float(line.rsplit(b" ", 1)[1])
    return total


def visibility(
    sent_at: list[float], scrapes: list[tuple[float, float, float]]
) -> tuple[list[float], list[float]]:
    """Per event (in send order): upper and lower bounds of its produce -> /metrics time.

    ``scrapes`` are (request sent, response received, events counted). Event ``i`` counts
    as visible in the first scrape counting more than ``i`` events (events are sent one
    after the other; the four partitions are read together, so the order of counting
    follows the order of sending within a fetch). Upper bound: that scrape's response
    time minus the send time. Lower bound: the request time of the scrape before it
    (which did not count it yet) minus the send time, at least 0.
    """
    upper: list[float] = []
    lower: list[float] = []
    index = 0
    previous_request = 0.0
    for requested, received, count in scrapes:
        while index < len(sent_at) and index < count:
            upper.append(received - sent_at[index])
            lower.append(max(0.0, previous_request - sent_at[index]))
            index += 1
        previous_request = requested
    return upper, lower


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def latency(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Produce -> visible in /metrics at a steady rate, measured from outside.

    The producer (kafka-python, acks=all, linger 2 ms, flushed every 20 events) stamps
    each event with ``perf_counter()`` just before ``send``; a scraper thread GETs
    /metrics every ``--scrape`` s (start to start) and counts the events it shows.
    """
    from kafka import KafkaProducer

    topic = f"bench-lat-{uuid.uuid4().hex[:6]}"
    create_topics(args.broker, topic, topic + ".dlq")
    worker = Worker(
        args.broker,
        topic,
        f"bench-{uuid.uuid4().hex[:6]}",
        tmp / "lat",
        args.core,
        "--clock",
        "wall",
        *args.worker_option,
    )
    total = int(args.rate * args.seconds)
    sent_at: list[float] = []
    scrapes: list[tuple[float, float, float]] = []
    try:
        wait(lambda: worker.health().get("status") == "ok", 120, 0.1)
        config = SimConfig(seed=9, arrivals_per_hour=args.rate * 3600 / 7.9, flat_arrivals=True)
        events = ContactCentre(config, time.time()).events()
        producer = KafkaProducer(bootstrap_servers=args.broker, acks="all", linger_ms=2)
        stop = threading.Event()

        def scrape() -> None:
            due = time.perf_counter()
            while not stop.is_set():
                requested = time.perf_counter()
                body = worker.get("/metrics")
                received = time.perf_counter()
                if body is not None:
                    scrapes.append((requested, received, visible_count(body)))
                due = max(due + args.scrape, time.perf_counter())
                time.sleep(max(0.0, due - time.perf_counter()))

        scraper = threading.Thread(target=scrape)
        scraper.start()
        began = time.perf_counter()
        for n in range(total):
            due = began + n / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event = next(events)
            now = time.time()
            event["ts"] = iso(now)
            sent_at.append(time.perf_counter())
            producer.send(topic, key=event["ticket_id"].encode(), value=orjson.dumps(event))
            if n % 20 == 19:
                producer.flush()
        producer.flush()
        wait(lambda: bool(scrapes) and scrapes[-1][2] >= total, 60, 0.1)
        stop.set()
        scraper.join()
        producer.close()
    finally:
        worker.stop()
        delete_topics(args.broker, topic)
    upper, lower = visibility(sent_at, scrapes)
    periods = [b[0] - a[0] for a, b in itertools.pairwise(scrapes)]
    durations = [received - requested for requested, received, _ in scrapes]
    return {
        "p50": percentile(upper, 0.5),
        "p99": percentile(upper, 0.99),
        "max": max(upper),
        "p99_lower_bound": percentile(lower, 0.99),
        "scrape_period_p50": percentile(periods, 0.5),
        "scrape_seconds_p50": percentile(durations, 0.5),
        "scrape_seconds_p99": percentile(durations, 0.99),
        "events": float(len(upper)),
        "achieved_rate": total / (sent_at[-1] - sent_at[0]),
    }


def open_tickets(count: int, prefix: str = "R") -> list[tuple[bytes, bytes]]:
    now = iso(time.time() - 3600)
    return [
        (
            f"{prefix}{n}".encode(),
            orjson.dumps(
                {
                    "event_id": f"{prefix.lower()}{n}",
                    "type": "ticket.created",
                    "ticket_id": f"{prefix}{n}",
                    "ts": now,
                    "team": ("billing", "technical", "sales")[n % 3],
                    "channel": "email",
                    "priority": "normal",
                    "customer_id": f"C{n}",
                }
            ),
        )
        for n in range(count)
    ]


def recovery(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Each version restarts on a changelog its own worker wrote (a worker refuses a newer
    changelog format than its own: docs/worker.md), in turns; the best of --repeat kept."""
    versions = [("", REPO)] + ([("before_", args.before)] if args.before else [])
    options = ("--clock", "wall", *args.worker_option)
    results: dict[str, float] = {"open_tickets": float(args.open)}
    written: list[tuple[str, Path, str, str, Path]] = []
    try:
        for label, repo in versions:
            topic = f"bench-rec-{uuid.uuid4().hex[:6]}"
            app = f"bench-{uuid.uuid4().hex[:6]}"
            written.append((label, repo, topic, app, tmp / f"rec{label}"))
            create_topics(args.broker, topic, topic + ".dlq")
            produce(args.broker, topic, open_tickets(args.open))
            first = Worker(
                args.broker, topic, app, tmp / f"rec{label}", args.core, *options, repo=repo
            )
            wait(lambda w=first: w.processed() >= args.open, 900, 0.2)
            time.sleep(4)  # committed
            first.stop()
        for _ in range(args.repeat):
            for label, repo, topic, app, data in written:
                ready, load, cpu = restart(args, topic, app, data, options, repo)
                seen = f"{ready:.2f} s to ready, {cpu:.2f} CPU s"
                load_average = os.getloadavg()[0]
                print(f"{label}restart: {seen}, load {load_average:.2f}", file=sys.stderr)
                key = f"{label}restart_to_ready_s"
                if ready < results.get(key, float("inf")):
                    results[key], results[f"{label}load_s"] = ready, load
                key = f"{label}restart_cpu_s"
                results[key] = min(cpu, results.get(key, float("inf")))
    finally:
        for _, _, topic, app, _ in written:
            delete_topics(args.broker, topic)
            delete_topics(args.broker, app)
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere).

    On a shared machine the wall time to ready mostly measures the other processes; the
    CPU time the worker spent getting there does not depend on them (much).
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def restart(
    args: argparse.Namespace, topic: str, app: str, data: Path, options: Any, repo: Path
) -> tuple[float, float, float]:
    """Seconds from a worker's start to ready with every open ticket, its load time, and
    the CPU seconds it used to get there."""
    again = Worker(args.broker, topic, app, data, args.core, *options, repo=repo)
    try:
        done = wait(
            lambda: (
                again.health().get("status") == "ok"
                and again.health().get("open_tickets") == args.open
            ),
            900,
            0.05,
        )
        cpu = cpu_seconds(again.proc.pid)
        load = again.counts().get("servicepulse_worker_recovery_seconds", 0.0)
        return done - again.started, load, cpu
    finally:
        again.stop()


def takeover(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    topic = f"bench-tko-{uuid.uuid4().hex[:6]}"
    create_topics(args.broker, topic, topic + ".dlq")
    app = f"bench-{uuid.uuid4().hex[:6]}"
    count = args.takeover_open
    produce(args.broker, topic, open_tickets(count, "K"))
    options = ("--clock", "wall", *args.worker_option)
    results: dict[str, float] = {}
    a = Worker(args.broker, topic, app, tmp / "tko-a", None, *options)
    b = Worker(args.broker, topic, app, tmp / "tko-b", None, *options)
    try:

        def split() -> bool:
            ha, hb = a.health(), b.health()
            pa, pb = ha.get("partitions") or [], hb.get("partitions") or []
            return (
                bool(pa)
                and bool(pb)
                and sorted(pa + pb) == list(range(PARTITIONS))
                and ha.get("open_tickets", 0) + hb.get("open_tickets", 0) == count
            )

        wait(split, 600, 0.2)
        time.sleep(4)  # committed
        b.proc.kill()
        killed = time.perf_counter()
        done = wait(
            lambda: (
                a.health().get("partitions") == list(range(PARTITIONS))
                and a.health().get("status") == "ok"
                and a.health().get("open_tickets") == count
            ),
            600,
            0.05,
        )
        results["open_tickets"] = float(count)
        results["kill_to_served_s"] = done - killed
    finally:
        a.stop()
        b.stop()
        delete_topics(args.broker, topic)
        delete_topics(args.broker, app)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default=os.environ.get("SERVICEPULSE_BROKER", "127.0.0.1:9092"))
    parser.add_argument(
        "--only", choices=("throughput", "latency", "recovery", "takeover"), action="append"
    )
    parser.add_argument("--events", type=int, default=300_000, help="throughput: events")
    parser.add_argument(
        "--repeat", type=int, default=1, help="throughput, recovery: runs (best kept)"
    )
    parser.add_argument("--core", type=int, default=1, help="CPU core to pin consumers to")
    parser.add_argument("--rate", type=float, default=2000.0, help="latency: events/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="latency: duration")
    parser.add_argument("--scrape", type=float, default=0.1, help="latency: scrape interval")
    parser.add_argument("--open", type=int, default=100_000, help="recovery: open tickets")
    parser.add_argument("--takeover-open", type=int, default=20_000, help="takeover: open tickets")
    parser.add_argument("--faust-path", action="store_true", help="throughput: also --drain faust")
    parser.add_argument(
        "--before", type=Path, help="throughput, recovery: also the worker of this checkout"
    )
    parser.add_argument(
        "--worker-option",
        action="append",
        default=[],
        help="extra option for the worker (repeatable)",
    )
    args = parser.parse_args()
    only = args.only or ["throughput", "latency", "recovery", "takeover"]
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        runs = (
            ("throughput", throughput),
            ("latency", latency),
            ("recovery", recovery),
            ("takeover", takeover),
        )
        for name, run in runs:
            if name in only:
                report[name] = run(args, tmp)
                print(
                    f"{name}: " + ", ".join(f"{k}={v:,.3f}" for k, v in report[name].items()),
                    flush=True,
                )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
