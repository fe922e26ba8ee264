"""``servicepulse backfill``: a JSONL history as Prometheus TSDB blocks.

The events go through the same engine as ``replay`` (``Engine.ingest(raw, event_clock=True)``).
Every ``step`` of event time the exporter's series and the gauges are written, timestamped,
as OpenMetrics (``streams.export.openmetrics``), one file per 18 h span, and each becomes
one block with ``promtool tsdb create-blocks-from openmetrics --max-block-duration=18h``
while the next span is being written. 18 h is a TSDB block range (2 h x 3^n): promtool cuts
blocks on multiples of it from the epoch, so a span aligned the same way is exactly one
block (with 24 h, promtool uses 18 h blocks anyway and most days make two). Memory is one
snapshot and one span's spool on disk, whatever the length of the history.

The recording rules' series for the same span come from ``promtool tsdb create-blocks-from
rules``, run against a temporary Prometheus started on the new blocks (``history_rules``).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.commands.history_rules import DEFAULT_RULES, backfill_rules
from streams.console.progress import Progress
from streams.core.engine import Engine
from streams.core.events import parse_ts
from streams.core.policy import PolicySet, load_policies
from streams.errors import UserError
from streams.export.openmetrics import Chunk, SnapshotWriter, TrackingExporter

DAY = 86400.0
SPAN = 18 * 3600.0  # one block each; see the module docstring
MAX_JUMP = 7 * DAY  # an event further ahead of the sampled time does not drive the sampling


@dataclass
class BackfillResult:
    events: int = 0
    rejected: int = 0
    snapshots: int = 0
    samples: int = 0
    blocks: int = 0
    rule_blocks: int = 0
    start: float | None = None  # first and last sampled instants
    end: float | None = None


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise UserError(
            "promtool not found on PATH: it turns the samples into TSDB blocks "
            "(Debian/Ubuntu: apt install prometheus; or the release tarball from prometheus.io)"
        )
    return found


def parse_step(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip()
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"invalid step {text!r} (e.g. 60s, 5m)") from None
    if not 1 <= seconds <= 3600 or seconds != int(seconds):
        raise argparse.ArgumentTypeError("step must be whole seconds from 1s to 1h")
    return seconds


class Sampler:
    """Engine on the event clock, sampled every ``step`` into one OpenMetrics chunk per span."""

    def __init__(self, policies: PolicySet, step: float, out: Path, work: Path) -> None:
        self.exporter = TrackingExporter()
        self.engine = Engine(policies, self.exporter)
        self.gauges = self.exporter.watch(self.engine, now=lambda: self.engine.now)
        self.writer = SnapshotWriter(self.exporter)
        self.step = step
        self.out = out
        self.work = work
        self.promtool = promtool()
        self.result = BackfillResult()
        self._next: float | None = None  # the next sampling instant
        self._chunk: Chunk | None = None
        self._day = -1
        self._swept = -math.inf
        self._pending: subprocess.Popen[bytes] | None = None
        self._pending_path = Path()

    def feed(self, raw: bytes | dict[str, Any]) -> None:
        ts = _peek_ts(raw)
        if ts is not None:
            if self._next is None:
                self._next = math.floor(ts / self.step) * self.step
            elif ts - self._next <= MAX_JUMP:
                while self._next < ts:
                    self._sample(self._next)
                    self._next += self.step
        self.result.events += 1
        if self.engine.ingest(raw, event_clock=True).reason is not None:
            self.result.rejected += 1

    def _sample(self, t: float) -> None:
        """The state at ``t``: every event up to ``t`` in, none after it."""
        self.engine.advance(t)
        if t - self._swept >= 3600:  # forget long-closed tickets: memory stays flat
            self.engine.expire(t)
            self._swept = t
        day = int(t // SPAN)
        if day != self._day:
            self._close_chunk()
            self._day = day
            self._chunk = Chunk(self.work / f"span-{day}.om")
        assert self._chunk is not None
        self.writer.write(self._chunk, t, self.gauges.collect())
        self.result.snapshots += 1
        if self.result.start is None:
            self.result.start = t
        self.result.end = t

    def _close_chunk(self) -> None:
        if self._chunk is None:
            return
        path = self._chunk.close()
        self.result.samples += self._chunk.samples
        self._chunk = None
        self._wait()  # one promtool at a time, working while the next span is sampled
        self._pending_path = path
        self._pending = subprocess.Popen(
            [
                *(self.promtool, "tsdb", "create-blocks-from", "openmetrics"),
                *("--max-block-duration=18h", "-q", str(path), str(self.out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.result.blocks += 1

    def _wait(self) -> None:
        if self._pending is None:
            return
        _, err = self._pending.communicate()
        path = self._pending_path
        if self._pending.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"promtool failed on {path.name}: {last[0]}")
        path.unlink(missing_ok=True)
        self._pending = None

    def finish(self) -> BackfillResult:
        """A last sample after the last event, then the last span's block."""
        if self._next is not None:
            end = max(self._next, math.ceil(self.engine.now / self.step) * self.step)
            while self._next <= end:
                self._sample(self._next)
                self._next += self.step
        self._close_chunk()
        self._wait()
        return self.result

    def abort(self) -> None:
        if self._chunk is not None:
            self._chunk.discard()
        if self._pending is not None:
            self._pending.kill()
            self._pending.wait()


def _peek_ts(raw: bytes | dict[str, Any]) -> float | None:
    """The event's time, if it has a readable one (the engine judges the rest)."""
    try:
        event = raw if isinstance(raw, dict) else orjson.loads(raw)
        return parse_ts(event["ts"]) if isinstance(event, dict) else None
    except Exception:
        return None


def backfill_events(
    events: Iterable[bytes | dict[str, Any]],
    policies: PolicySet,
    out: str | Path,
    step: float = 60.0,
    show_progress: bool = False,
    total: int | None = None,
    rules: str | Path | None = DEFAULT_RULES,
) -> BackfillResult:
    """Events (JSON lines or dicts, in time order) -> raw and rule blocks in ``out``."""
    out = Path(out)
    if rules is not None and not Path(rules).is_file():
        print(f"backfill: no recording rules at {rules}; raw series only", file=sys.stderr)
        rules = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(os.fspath(out) + ".work")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror}") from None
    sampler = Sampler(policies, step, out, work)
    progress = Progress("backfill", total, unit="events") if show_progress else None
    done = 0
    try:
        for raw in events:
            sampler.feed(raw)
            done += 1
            if progress is not None and done % 5000 == 0:
                progress.update(done, f"{sampler.result.blocks} blocks")
        result = sampler.finish()
    except BaseException:
        sampler.abort()
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:
        progress.done(
            f"{result.events:,} events, {result.samples:,} samples, {result.blocks} blocks"
        )
    try:
        if rules is not None and result.start is not None and result.end is not None:
            result.rule_blocks = backfill_rules(
                out, work, Path(rules), result.start, result.end, step, show_progress
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def history_lines(path: str) -> Iterable[bytes]:
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed when the generator ends
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        for line in stream:
            line = line.strip()
            if line:
                yield line


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    promtool()  # fail before reading anything
    rules = None if args.no_rules else args.rules
    if rules is not None and not Path(rules).is_file():
        raise UserError(
            f"cannot read the recording rules {rules} (give --rules FILE or --no-rules)"
        )
    try:
        size = os.path.getsize(args.file)
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    show = sys.stderr.isatty() or args.progress
    result = backfill_events(
        history_lines(args.file), policies, args.out, args.step, show, total=None, rules=rules
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tools = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest child
    print(
        f"servicepulse: {result.events:,} events ({size:,} bytes), {result.rejected:,} rejected; "
        f"{result.samples:,} samples every {args.step:g}s in {result.blocks} blocks, "
        f"{result.rule_blocks} rule blocks, in {args.out}; peak memory {own:.0f} MB "
        f"(promtool/prometheus: {tools:.0f} MB)",
        file=sys.stderr,
    )
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "backfill",
        help="run a JSONL history through the engine and write Prometheus TSDB blocks",
        description="Run a JSONL history through the engine on the event clock and write "
        "Prometheus TSDB blocks (every metric, and the recording rules, sampled every STEP) "
        "into DIR, ready to be moved into a Prometheus data directory (docs/history.md). "
        "Needs promtool (and prometheus for the recording rules) on PATH.",
    )
    parser.add_argument("file", help="JSONL file, one event per line, in time order")
    parser.add_argument("--policy", metavar="P", help="SLA policy YAML (default: built-in)")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the blocks")
    parser.add_argument(
        "--step",
        type=parse_step,
        default=60.0,
        metavar="S",
        help="sampling interval of event time, like a scrape interval (default 60s)",
    )
    parser.add_argument(
        "--rules",
        metavar="FILE",
        default=str(DEFAULT_RULES),
        help="recording rules to backfill for the same span (default: the project's)",
    )
    parser.add_argument("--no-rules", action="store_true", help="raw series only")
    parser.add_argument("--progress", action="store_true", help="progress even when not a tty")
    parser.set_defaults(func=command)


def load_history(path: str, data_dir: str | Path, policy: str | None = None) -> BackfillResult:
    """``stack up --history``: the file's blocks straight into a (stopped) Prometheus's data."""
    print(f"history: backfilling {path} into {data_dir} ...", file=sys.stderr, flush=True)
    return backfill_events(
        history_lines(path), load_policies(policy), data_dir, show_progress=sys.stderr.isatty()
    )
