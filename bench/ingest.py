"""HTTP ingestion throughput: ``serve`` (and ``ingest`` with ``--kafka``) against the engine.

    python bench/ingest.py [--events 20000] [--senders 50] [--kafka]

In one run, for the same simulated events:
- baseline: the engine alone, in this process, from JSON lines (decode, validate,
  apply), events per wall second and per CPU second;
- ``serve`` started as a process on a free port (journal fsynced before every 200),
  fed by ``--senders`` concurrent HTTP senders with batches of 1 and of 100:
  accepted events/s, the ratio to the engine's rate, p50/p99 request latency, and the
  server's events per CPU second of its own (independent of what else runs);
- with ``--kafka``: the same against ``ingest`` in front of a local broker on a
  free port (acks=all, idempotent producer).
The senders run in this process, on the same 2 cores as the server: the figures
are a floor for a server with a machine of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.simulator import ContactCentre, SimConfig
from tests.processes import free_port

TOKEN = "bench-token-0123456789"  # at least 16 characters (auth.py)


def generate(n: int, prefix: str) -> list[bytes]:
    start = time.time() - 12 * 3600
    config = SimConfig(seed=11, arrivals_per_hour=20000.0, flat_arrivals=True)
    lines = []
    for event in ContactCentre(config, start).events():
        event["ticket_id"] = f"{prefix}{event['ticket_id']}"
        event["event_id"] = f"{prefix}{event['event_id']}"
        lines.append(orjson.dumps(event))
        if len(lines) >= n:
            break
    return lines


def engine_rate(lines: list[bytes]) -> tuple[float, float]:
    """Events per wall second and per CPU second of this process."""
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    t0, c0 = time.perf_counter(), time.process_time()
    for line in lines:
        engine.ingest(line)
    engine.advance(time.time())
    return len(lines) / (time.perf_counter() - t0), len(lines) / (time.process_time() - c0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", *args, "--port", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server on {port} did not become ready")


async def send_all(url: str, lines: list[bytes], batch: int, senders: int) -> tuple[float, list]:
    bodies = [b"\n".join(lines[i : i + batch]) for i in range(0, len(lines), batch)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    raise SystemExit(f"{url}: {answer.status}")
            latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(sender(session) for _ in range(senders)))
        elapsed = time.perf_counter() - t0
    return elapsed, sorted(latencies)


def report(
    name: str, n: int, elapsed: float, latencies: list, cpu: float, base: tuple[float, float]
) -> None:
    rate = n / elapsed
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    per_cpu = n / cpu if cpu else float("inf")
    print(
        f"{name:<28} {rate:>10,.0f} events/s  {rate / base[0]:>5.2f} x engine  "
        f"p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  "
        f"server {per_cpu:>9,.0f} events/CPU-s ({per_cpu / base[1]:.2f} x engine)"
    )


def bench_server(
    label: str, command: list[str], args: argparse.Namespace, base: tuple[float, float]
) -> None:
    for batch in (1, 100):
        n = args.events if batch == 100 else max(1000, args.events // 10)
        lines = generate(n, f"{label}-{batch}-")
        port = free_port()
        process = start(command, port)
        try:
            cpu0 = cpu_seconds(process.pid)
            elapsed, latencies = asyncio.run(
                send_all(f"http://127.0.0.1:{port}/v1/events", lines, batch, args.senders)
            )
            cpu = cpu_seconds(process.pid) - cpu0
        finally:
            process.terminate()
            process.wait(30)
        report(f"{label}, batches of {batch}", len(lines), elapsed, latencies, cpu, base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--kafka", action="store_true", help="also ingest -> a local broker")
    args = parser.parse_args()
    lines = generate(args.events, "engine-")
    base = engine_rate(lines)
    print(
        f"{'engine alone (JSON lines)':<28} {base[0]:>10,.0f} events/s  "
        f"{base[1]:>10,.0f} events/CPU-s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench_server("serve", ["serve", "--data-dir", tmp], args, base)
        if args.kafka:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from kafka_broker import KafkaBroker

            broker_port = free_port()
            with KafkaBroker(port=broker_port, state_dir=Path(tmp) / "kafka") as broker:
                bench_server("ingest", ["ingest", "--broker", broker.bootstrap], args, base)


if __name__ == "__main__":
    main()
