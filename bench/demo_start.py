"""Start-up time of ``servicepulse demo``: launch to the first successful /metrics scrape.

Compares the default warm start (a day of history) and ``--history 14d`` with a cold start
(``--history 0``, the former behaviour) measured in the same run.

    .venv/bin/python bench/demo_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

START = "2026-11-17T14:00:00+00:00"
CASES = (
    ("cold (--history 0)", ["--history", "0"]),
    ("default (1d)", []),
    ("--history 14d", ["--history", "14d"]),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def created(text: str) -> float:
    return sum(
        float(m.group(1))
        for m in re.finditer(r"^servicepulse_tickets_created_total\{.*\} (\S+)$", text, re.M)
    )


def once(extra: list[str]) -> tuple[float, float]:
    port = free_port()
    launched = time.monotonic()
    command = [sys.executable, "-m", "streams.cli", "demo", "--no-board", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--start", START, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
                return time.monotonic() - launched, created(text)
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("the demo exited") from None
                time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    baseline = None
    for name, extra in CASES:
        results = [once(extra) for _ in range(runs)]
        seconds = statistics.median(r[0] for r in results)
        baseline = baseline or seconds
        print(
            f"{name:22s} first scrape after {seconds:5.2f}s (median of {runs}), "
            f"{results[0][1]:8,.0f} tickets created on it, {seconds / baseline:4.1f}x cold"
        )


if __name__ == "__main__":
    main()
