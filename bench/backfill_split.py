"""A whole backfill's wall and CPU seconds split by process: this Python process (the
sampler, the rules' answers read and written), the temporary Prometheus, promtool.

    .venv/bin/python bench/backfill_split.py HISTORY.jsonl --policy P.yml [--step 60]

Runs ``backfill_events`` as ``servicepulse backfill`` does (rules included), in this
process, into a temporary directory. Run it with ``PYTHONPATH`` set to the checkout to
measure (e.g. main and a branch, alternating: the machine's load moves the wall time).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from streams.core.policy import load_policies
from streams.history import rules
from streams.history.backfill import backfill_events
from streams.history.source import history_lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("history", type=Path)
    parser.add_argument("--policy")
    parser.add_argument("--step", type=float, default=60.0)
    args = parser.parse_args()
    prometheus_cpu = [0.0]
    stop = rules.TemporaryPrometheus.stop

    def stopping(self: rules.TemporaryPrometheus) -> None:
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        prometheus_cpu[0] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        stop(self)

    rules.TemporaryPrometheus.stop = stopping  # type: ignore[method-assign]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        began, cpu = time.monotonic(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = backfill_events(
            history_lines(str(args.history)), load_policies(args.policy), Path(tmp) / "out",
            args.step, rules=rules.DEFAULT_RULES,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, mine = time.monotonic() - began, time.process_time() - cpu
    tools = after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    print(
        f"{result.blocks} raw + {result.rule_blocks} rule blocks: {wall:.1f}s wall; CPU "
        f"{mine + tools:.1f}s: this process {mine:.1f}s, prometheus {prometheus_cpu[0]:.1f}s, "
        f"promtool {tools - prometheus_cpu[0]:.1f}s; load {load:.2f} -> {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
