"""Backfill throughput and memory, against ``replay`` on the same file in the same run.

    .venv/bin/python bench/backfill.py [--days 7] [--step 60] [--arrivals 120] [--tmp DIR]

    nice .venv/bin/python bench/backfill.py --days 365 --step 1h   # a year (~30 min, 2 cores)

Simulates ``--days`` of history to a JSONL file, then runs, each in its own process:
- replay (the baseline: the same engine, one final exposition);
- backfill --no-rules at ``--step`` (engine + a timestamped snapshot every step + promtool);
and prints events/s, samples/s, the ratio to replay, and peak memory (RSS of the Python
process and, separately, of the largest promtool it ran, as the backfill reports them).
Memory should not grow with ``--days``: run it with two lengths to see (the rules pass is
measured apart with --rules, it needs prometheus). The last line is a row for the table in
docs/history.md.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from streams.simulator import ContactCentre, SimConfig

START = 1_793_577_600.0  # 2026-11-02 00:00 UTC, a Monday


def write_history(path: Path, days: float, arrivals: float) -> int:
    n = 0
    with open(path, "wb") as out:
        for event in ContactCentre(SimConfig(seed=7, arrivals_per_hour=arrivals), START).events(
            until=START + days * 86400
        ):
            out.write(orjson.dumps(event) + b"\n")
            n += 1
    return n


def run(command: list[str]) -> tuple[float, str, int, int]:
    """Wall seconds, stderr, peak RSS of the command itself and of its children (KB)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "own = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(time.monotonic() - t, own, file=sys.stdout); sys.stderr.write(r.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    seconds, peak = result.stdout.split()
    return float(seconds), result.stderr, int(peak), before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--step", default="60", help="backfill --step (60, 5m, 1h, ...)")
    parser.add_argument("--arrivals", type=float, default=120.0)
    parser.add_argument("--rules", action="store_true", help="also time the rules pass")
    parser.add_argument("--tmp", help="where the history and the blocks go (default: $TMPDIR)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "streams.cli"]
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        history = Path(tmp) / "history.jsonl"
        t = time.monotonic()
        events = write_history(history, args.days, args.arrivals)
        print(
            f"history: {args.days:g} days, {events:,} events, {history.stat().st_size:,} bytes "
            f"(simulated in {time.monotonic() - t:.0f}s)",
            flush=True,
        )
        replay_s, _, replay_rss, _ = run([*cli, "replay", str(history), "--out", f"{tmp}/x.prom"])
        print(f"replay            {replay_s:7.1f}s  {events / replay_s:10,.0f} events/s  "
              f"peak RSS {replay_rss / 1024:6.0f} MB", flush=True)  # fmt: skip
        out = Path(tmp) / "blocks"
        flags = ["--step", args.step] + ([] if args.rules else ["--no-rules"])
        back_s, err, _, _ = run([*cli, "backfill", str(history), "--out", str(out), *flags])
        samples = int(re.search(r"([\d,]+) samples", err).group(1).replace(",", ""))  # type: ignore[union-attr]
        memory = re.search(r"peak memory (\d+) MB \(promtool/prometheus: (\d+) MB\)", err)
        own, tool = (memory.group(1), memory.group(2)) if memory else ("?", "?")
        print(
            f"backfill step {args.step:>4} {back_s:7.1f}s  {events / back_s:10,.0f} events/s  "
            f"{samples / back_s:12,.0f} samples/s  {back_s / replay_s:5.1f}x replay's time"
        )
        tools = "promtool or the rules' temporary prometheus" if args.rules else "promtool"
        print(f"peak RSS: backfill's own process (engine, snapshots) {own} MB, {tools} {tool} MB")
        blocks = sum(1 for p in out.iterdir() if (p / "meta.json").exists())
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"blocks: {blocks}, {size / 2**20:.0f} MB on disk, {samples:,} samples")
        print(
            f"| replay, {args.days:g} days ({events:,} events) | {events / replay_s:,.0f} | – "
            f"| {replay_rss / 1024:.0f} MB |\n"
            f"| backfill `--step {args.step}{'' if args.rules else ' --no-rules'}`, same file "
            f"| {events / back_s:,.0f} | {samples / back_s:,.0f} "
            f"| {own} MB own, {tool} MB {'promtool/prometheus' if args.rules else 'promtool'} |"
        )


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print(f"(bench ran {time.monotonic() - t0:.0f}s)")
