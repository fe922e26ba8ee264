"""Soak of a real ``servicepulse serve``: its RSS over 2M events over HTTP, and after a restart.

    python bench/serve_soak.py [--events 2000000] [--batch 2000] [--every 250000]
                               [--mark 1000000] [--after 250000] [--seed 3]
                               [--arrivals-per-hour 1000]

Simulated contact-centre events (tickets opening, resolving, closing, abandoning;
``streams.simulator``, 1,000 contacts an hour: 2M events are about 26 simulated days)
are posted in JSON-array batches to ``POST /v1/events`` of a ``serve`` subprocess with
its default options (journal, compaction into a snapshot at 64 MB, ledger in the data
directory, retention of 7 days).
Every ``--every`` events the serve process's VmRSS (from /proc) is sampled. At the end
serve is stopped (SIGTERM) and started again on the same data directory: its RSS once it
answers ``/health``, then after ``--after`` more events.

Time: serve's engine runs on the wall clock, and tickets are forgotten 7 days (of that
clock) after they end. Weeks of simulated time cannot take weeks, so serve runs
here with one change only: its wall clock (``JournalStore.wall``, which also paces the
hourly sweep of finished tickets) reads the time of the latest batch posted, which the
bench writes to a file before each post. Everything else is the real process.

Printed ratios (the goal of docs/limits.md: within 20 %): RSS at the end / RSS at
``--mark`` (both past the first 7 simulated days, so steady state against steady
state), RSS after the restart / RSS at the end, and after ``--after`` more events.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import requests

START = 1_795_000_000.0  # 2026-11-18
TOKEN = "servicepulse-soak-token-0123456789"


def fake_wall(path: Path) -> float:
    """The time the bench wrote last (serve's side of the simulated wall clock)."""
    try:
        return float(path.read_text())
    except (OSError, ValueError):
        return START


def serve_with_clock(clock: Path, argv: list[str]) -> int:
    """Run ``servicepulse serve`` (this process) with ``JournalStore.wall`` read from ``clock``."""
    import streams.commands.serve as serve_command
    from streams.cli import main as cli_main
    from streams.serve.store import JournalStore

    serve_command.JournalStore = functools.partial(  # type: ignore[assignment,misc]
        JournalStore, wall=functools.partial(fake_wall, clock)
    )
    return cli_main(argv)


def memory_mib(pid: int, key: str = "VmRSS") -> float:
    """VmRSS (resident now) or VmHWM (the peak so far) of process ``pid``, MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} for process {pid}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    def __init__(self, data: Path, clock: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data, self.clock, self.log = data, clock, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start; the seconds until /health answered."""
        argv = ["serve", "--port", str(self.port), "--data-dir", str(self.data)]
        env = {**os.environ, "SERVICEPULSE_TOKEN": TOKEN}
        started = time.monotonic()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve-with-clock", str(self.clock), "--", *argv],
                stdout=log,
                stderr=log,
                env=env,
            )
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited: see {self.log}\n{self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                pass
            time.sleep(0.1)

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)

    def rss(self, key: str = "VmRSS") -> float:
        assert self.process is not None
        return memory_mib(self.process.pid, key)


def batches(events: Iterator[dict], size: int, count: int) -> Iterator[list[dict]]:
    sent = 0
    while sent < count:
        batch = [next(events) for _ in range(min(size, count - sent))]
        sent += len(batch)
        yield batch


def post_all(
    serve: Serve,
    session: requests.Session,
    events: Iterator[dict],
    count: int,
    size: int,
    every: int,
    done: int,
) -> tuple[int, int, float, list[tuple[int, float, float]]]:
    """Post ``count`` events; (events posted in all, accepted, last ts, samples)."""
    samples = []
    accepted = 0
    last = START
    for batch in batches(events, size, count):
        last = max(event["ts_epoch"] for event in batch)
        tmp = serve.clock.with_suffix(".tmp")
        tmp.write_text(repr(last))
        tmp.replace(serve.clock)
        body = orjson.dumps([{k: v for k, v in e.items() if k != "ts_epoch"} for e in batch])
        for attempt in range(10):
            answer = session.post(
                f"{serve.url}/v1/events",
                data=body,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
                timeout=120,
            )
            if answer.status_code == 200:
                break
            time.sleep(0.5 * (attempt + 1))
        else:
            raise SystemExit(f"POST failed: {answer.status_code} {answer.text}")
        accepted += int(answer.json()["accepted"])
        before = done
        done += len(batch)
        if done // every != before // every:
            samples.append((done, serve.rss(), (last - START) / 86400))
            print(f"{done:>10,} {samples[-1][1]:>8.1f} {samples[-1][2]:>6.1f}", flush=True)
    return done, accepted, last, samples


def timed(events: Iterator[dict]) -> Iterator[dict]:
    from datetime import datetime

    for event in events:
        event["ts_epoch"] = datetime.fromisoformat(event["ts"]).timestamp()
        yield event


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-with-clock":
        clock_file, separator, *argv = sys.argv[2:]
        assert separator == "--"
        sys.exit(serve_with_clock(Path(clock_file), argv))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=2000, help="events per POST")
    parser.add_argument("--every", type=int, default=250_000, help="RSS sampled this often")
    parser.add_argument("--mark", type=int, default=1_000_000, help="the baseline sample")
    parser.add_argument("--after", type=int, default=250_000, help="events after the restart")
    parser.add_argument(
        "--arrivals-per-hour",
        type=float,
        default=1000.0,
        help="contacts an hour (1,000: 2M events are about 26 simulated days)",
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="data directory to use and keep")
    args = parser.parse_args()

    from streams.simulator import ContactCentre, SimConfig

    with tempfile.TemporaryDirectory() as temporary:
        work: Path = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        clock = work / "clock"
        clock.write_text(repr(START))
        serve = Serve(work / "data", clock, work / "serve.log")
        config = SimConfig(seed=args.seed, arrivals_per_hour=args.arrivals_per_hour)
        centre = ContactCentre(config, START)
        events = timed(iter(centre.events()))
        serve.start()
        print(f"serve pid {serve.process.pid if serve.process else '?'}, log {serve.log}")
        print(f"{'events':>10} {'RSS MiB':>8} {'days':>6}")
        started = time.perf_counter()
        with requests.Session() as session:
            done, accepted, _, samples = post_all(
                serve, session, events, args.events, args.batch, args.every, 0
            )
            elapsed = time.perf_counter() - started
            end = serve.rss()
            marked = [rss for n, rss, _ in samples if n >= args.mark]
            serve.stop()
            seconds = serve.start()
            restarted, peak = serve.rss(), serve.rss("VmHWM")
            print(
                f"restart: /health after {seconds:.1f}s, RSS {restarted:.1f} MiB "
                f"(peak while recovering {peak:.1f} MiB)",
                flush=True,
            )
            session.close()
            done2, accepted2, _, _ = post_all(
                serve, session, events, args.after, args.batch, args.every, done
            )
            later = serve.rss()
            serve.stop()
        journal = sum(p.stat().st_size for p in (work / "data").rglob("*") if p.is_file())
    print(
        f"{done:,} events in {elapsed:.0f}s ({done / elapsed:,.0f} events/s over HTTP), "
        f"{accepted + accepted2:,} accepted of {done2:,}; data directory {journal / 2**20:.0f} MiB"
    )
    if marked:
        print(
            f"RSS at {args.mark:,} events {marked[0]:.1f} MiB, at {done:,} {end:.1f} MiB: "
            f"ratio {end / marked[0]:.3f} (goal <= 1.20)"
        )
    print(
        f"after the restart {restarted:.1f} MiB: ratio {restarted / end:.3f}; after {args.after:,} "
        f"more events {later:.1f} MiB: ratio {later / end:.3f} (goal <= 1.20)"
    )


if __name__ == "__main__":
    main()
