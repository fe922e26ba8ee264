"""Where the recording rules' pass of a backfill spends its time, on raw blocks made before.

    .venv/bin/python -m streams.cli backfill H.jsonl --policy P.yml --out RAW --no-rules
    .venv/bin/python bench/backfill_rules.py RAW [--spans 4] [--step 60] \
        [--no-pairs] [--hold-share 1]    # both: the rules pass as before issue 26's part 2

Runs ``streams.history.rules.backfill_rules`` on a copy of the first ``--spans`` 18 h spans
of ``RAW`` (4 at 60 s: one batch of queries per rule) and prints the CPU seconds of this
process (the queries' answers read, the OpenMetrics written), of the temporary Prometheus
(evaluating the rules) and of promtool (reading what was written), the rule samples
written, and the queries' wall time by kind (histogram quantiles or not; a quantile
pair's bucket query counts as one) and window. ``--no-pairs`` sends each
``histogram_quantile`` rule to Prometheus as it is, ``--hold-share 1`` evaluates the
windows up to an hour at every step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from streams.history import rules


def spans_of(raw: Path) -> tuple[list[int], float, float]:
    """The 18 h spans of the blocks in ``raw`` and their first and last sample's time."""
    spans, first, last = set(), float("inf"), float("-inf")
    for block in raw.iterdir():
        meta = json.loads((block / "meta.json").read_text())
        start, end = meta["minTime"] / 1000, (meta["maxTime"] - 1) / 1000
        spans.add(int(start // rules.SPAN))
        first, last = min(first, start), max(last, end)
    return sorted(spans), first, last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path, help="blocks of a backfill --no-rules")
    parser.add_argument("--spans", type=int, default=4)
    parser.add_argument("--step", type=float, default=60.0)
    parser.add_argument(
        "--no-pairs", action="store_true", help="each histogram_quantile rule its own query"
    )
    parser.add_argument(
        "--hold-share",
        type=int,
        default=rules.HOUR_HOLD_SHARE,
        help="windows over 5m up to 1h evaluated every window / this (1: every step)",
    )
    args = parser.parse_args()
    spans, first, last = spans_of(args.raw)
    spans = spans[: args.spans]
    last = min(last, (spans[-1] + 1) * rules.SPAN - args.step)
    first = first // args.step * args.step
    waited: dict[tuple[str, float], float] = {}
    query = rules.query_range

    def timed(url: str, expr: str, start: float, end: float, step: float) -> list[Any]:
        began = time.monotonic()
        result = query(url, expr, start, end, step)
        quantile = "histogram_quantile" in expr or "_bucket[" in expr
        key = ("histogram quantile" if quantile else "other", rules.longest_window(expr))
        waited[key] = waited.get(key, 0.0) + time.monotonic() - began
        return result

    computed = [0.0]  # CPU seconds of the quantiles computed here (in the query threads)
    compute = rules.quantiles

    def timed_quantiles(*args: Any) -> list[list[dict[str, Any]]]:
        began = time.thread_time()
        result = compute(*args)
        computed[0] += time.thread_time() - began
        return result

    written = [0]
    write = rules.write_rule

    def counted(*args: Any) -> int:
        n = write(*args)
        written[0] += n
        return n

    prometheus_cpu = [0.0]
    stop = rules.TemporaryPrometheus.stop

    def stopping(self: rules.TemporaryPrometheus) -> None:
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        prometheus_cpu[0] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        stop(self)

    if args.no_pairs:
        rules.parse_quantile = lambda expr: None
    if args.hold_share == 1:
        rules.SHORT_WINDOW = 3600.0
    rules.HOUR_HOLD_SHARE = args.hold_share
    rules.query_range = timed
    rules.quantiles = timed_quantiles
    rules.write_rule = counted  # type: ignore[assignment]
    rules.TemporaryPrometheus.stop = stopping  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp_name:
        out, work = Path(tmp_name) / "out", Path(tmp_name) / "work"
        shutil.copytree(args.raw, out)
        work.mkdir()
        began, cpu = time.monotonic(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        made = rules.backfill_rules(out, work, rules.DEFAULT_RULES, spans, first, last, args.step)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tools = after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    print(
        f"{len(spans)} spans at {args.step:g}s: {made} rule blocks, {written[0]:,} rule samples; "
        f"{time.monotonic() - began:.1f}s wall; "
        f"CPU: this process {time.process_time() - cpu:.1f}s "
        f"(quantiles {computed[0]:.1f}s), "
        f"prometheus {prometheus_cpu[0]:.1f}s, promtool {tools - prometheus_cpu[0]:.1f}s"
    )
    total = sum(waited.values())
    for (kind, window), seconds in sorted(waited.items(), key=lambda kv: -kv[1]):
        print(
            f"  {kind:18s} [{window / 3600:g}h] {seconds:7.1f}s of queries ({seconds / total:.0%})"
        )


if __name__ == "__main__":
    main()
