"""Backfill time and throughput, against promtool reading the same samples in the same run.

    .venv/bin/python bench/backfill.py [--days 7] [--step 60] [--arrivals 120] [--rules]
    .venv/bin/python bench/backfill.py --bank \
        ../shared/datasets/technion-anonymousbank-aug1999/anonymousbank_1999-08_calls.csv --rules
    .venv/bin/python bench/backfill.py --history FILE.jsonl --policy P.yml --step 60 --rules

The history is simulated (``--days``), the real bank call-centre month (``--bank CSV``,
converted as below) or any JSONL file (``--history``). Then, each in its own process:
- ``replay`` of the same file (the engine alone, one final exposition);
- ``servicepulse backfill`` at ``--step`` (``--no-rules`` unless ``--rules``), its
  OpenMetrics files kept aside as promtool reads them;
- ``promtool tsdb create-blocks-from openmetrics`` on those same files, one after the other
  (the baseline: the fastest a writer of these samples could go is the reader's pace).
It prints wall and CPU seconds (CPU is steadier on a shared machine), the samples written
per second of the raw phase, the same for promtool, and their ratio; the last lines are a
row for docs/benchmarks.md.

The bank month is converted by ``bank_events`` of tests/datasets.py (every call that reached
the queue a phone ticket of its type's team); its policy there: first response within 20 s,
round the clock.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streams.simulator import ContactCentre, SimConfig
from tests.datasets import BANK_POLICY, bank_events

START = 1_793_577_600.0  # 2026-11-02 00:00 UTC, a Monday
# backfill in a child process, each OpenMetrics file hard-linked into KEEP before promtool
KEEPING = """\
import os, sys
from pathlib import Path
from streams.history import blocks
keep = Path(sys.argv[1]); make = blocks.BlockMaker.make
def keeping(self, path):
    os.link(path, keep / f"{len(os.listdir(keep)):05d}-{path.name}")
    make(self, path)
blocks.BlockMaker.make = keeping
sys.argv = ["servicepulse", *sys.argv[2:]]
from streams.cli import main
sys.exit(main())
"""


def write_history(path: Path, days: float, arrivals: float) -> int:
    n = 0
    with open(path, "wb") as out:
        for event in ContactCentre(SimConfig(seed=7, arrivals_per_hour=arrivals), START).events(
            until=START + days * 86400
        ):
            out.write(orjson.dumps(event) + b"\n")
            n += 1
    return n


def run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children), stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stderr


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1).replace(",", "")) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--step", default="60", help="backfill --step (60, 5m, 1h, ...)")
    parser.add_argument("--arrivals", type=float, default=120.0)
    parser.add_argument("--bank", type=Path, help="the bank month's calls CSV instead")
    parser.add_argument("--history", type=Path, help="a JSONL history instead")
    parser.add_argument("--policy", type=Path, help="its policy (--bank brings its own)")
    parser.add_argument("--rules", action="store_true", help="the recording rules too")
    parser.add_argument("--tmp", help="where the history and the blocks go (default: $TMPDIR)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "streams.cli"]
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        history = tmp / "history.jsonl"
        policy: list[str] = ["--policy", str(args.policy)] if args.policy else []
        if args.bank:
            history.write_bytes(b"".join(line + b"\n" for line in bank_events(args.bank)))
            (tmp / "bank.yml").write_text(BANK_POLICY)
            policy = ["--policy", str(tmp / "bank.yml")]
            name = "bank month"
        elif args.history:
            shutil.copyfile(args.history, history)
            name = args.history.name
        else:
            write_history(history, args.days, args.arrivals)
            name = f"{args.days:g} simulated days"
        events = history.read_bytes().count(b"\n")
        print(f"history: {name}, {events:,} events, {history.stat().st_size:,} bytes", flush=True)
        replay_s, replay_cpu, _ = run([*cli, "replay", str(history), *policy,
                                       "--out", str(tmp / "x.prom")])  # fmt: skip
        print(f"replay              {replay_s:7.1f}s wall {replay_cpu:7.1f}s CPU", flush=True)
        keep = tmp / "openmetrics"
        keep.mkdir()
        out = tmp / "blocks"
        flags = ["--step", args.step, *([] if args.rules else ["--no-rules"])]
        back_s, back_cpu, err = run([
            sys.executable, "-c", KEEPING, str(keep),
            "backfill", str(history), *policy, "--out", str(out), *flags,
        ])  # fmt: skip
        samples = number(r"([\d,]+) samples every", err)
        raw = re.search(r"backfill: done in (\S+)", err)
        print(f"backfill --step {args.step} {'with' if args.rules else 'without'} rules "
              f"{back_s:7.1f}s wall {back_cpu:7.1f}s CPU (raw phase {raw.group(1) if raw else '?'}"
              f"), {samples:,} raw samples", flush=True)  # fmt: skip
        # promtool alone on the same raw files (the rules' files are kept too: raw ones only)
        raw_files = sorted(p for p in keep.iterdir() if "-span-" in p.name)
        promtool = shutil.which("promtool") or "promtool"
        again = tmp / "again"
        started = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for path in raw_files:
            subprocess.run(
                [promtool, "tsdb", "create-blocks-from", "openmetrics",
                 "--max-block-duration=18h", "-q", str(path), str(again)],
                check=True, capture_output=True,
            )  # fmt: skip
        tool_s = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        tool_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        raw_s = raw_phase_seconds(raw.group(1)) if raw else back_s
        print(
            f"promtool alone on the same {len(raw_files)} files: {tool_s:.1f}s wall "
            f"{tool_cpu:.1f}s CPU, {samples / tool_s:,.0f} samples/s"
        )
        print(
            f"backfill raw phase: {samples / raw_s:,.0f} samples/s = "
            f"{samples / raw_s / (samples / tool_s):.2f} x promtool's (wall, same run)"
        )
        print(
            f"| {name} ({events:,} events) | `--step {args.step}"
            f"{'' if args.rules else ' --no-rules'}` | {back_s:,.0f} s ({back_cpu:,.0f} s CPU) "
            f"| {samples:,} | {samples / raw_s / (samples / tool_s):.2f} |"
        )


def raw_phase_seconds(text: str) -> float:
    """``12m05s`` / ``45s`` / ``1h02m`` -> seconds."""
    total = 0.0
    for value, unit in re.findall(r"(\d+)([hms])", text):
        total += int(value) * {"h": 3600, "m": 60, "s": 1}[unit]
    return max(total, 1.0)


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print(f"(bench ran {time.monotonic() - t0:.0f}s)")
