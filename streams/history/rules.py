"""The recording rules' series for a backfilled span.

Prometheus evaluates recording rules only on the live clock, so backfilled raw series
would have no ``team:servicepulse_csat:ratio_rate7d`` and friends before the moment
Prometheus loaded them. ``promtool tsdb create-blocks-from rules`` evaluates rules over a
past span through a Prometheus HTTP API but writes one block per rule per 2 h (thousands a
day); here a temporary Prometheus, started on hard links of the new raw blocks (its
compactions never touch the originals) on a free port, evaluates each rule with
``query_range`` an 18 h span at a time, and the results become one block per span. Rules that
read other recording rules are evaluated in a second pass, with the first pass's blocks
loaded too (a range query cannot read what the same pass records), and so on, as deep as
the rules read each other. Besides the recording rules file, the error budgets'
recording groups of the ``alerts.yml`` beside it are backfilled.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from streams.console.progress import Progress
from streams.errors import UserError
from streams.export.openmetrics import Chunk, series_text, timestamp_text
from streams.history.blocks import SPAN

ALERT_RULES = "alerts.yml"  # beside the recording rules: the error budgets' groups too
BACKFILLED_GROUPS = ("servicepulse.slo.",)  # the recording groups of alerts.yml backfilled
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _link_or_copy(source: str, target: str) -> None:
    """A hard link, or a copy where none can be made (``--out`` is a mount point, e.g. a
    Docker volume, and the work directory beside it is on another filesystem)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _blocks(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.is_dir() and (p / "meta.json").exists()}


def recording_groups(rules: Path) -> list[dict[str, Any]]:
    """The recording groups to backfill: every group of ``rules``, and the error budgets'
    (``servicepulse.slo.*``) of the ``alerts.yml`` beside it, where they are generated.

    The forecast's groups of alerts.yml (``servicepulse.forecast.*``: Erlang B is a chain of
    one rule per agent, so as many passes) are evaluated live only (docs/forecast.md).
    """
    groups = list((yaml.safe_load(rules.read_text(encoding="utf-8")) or {}).get("groups", []))
    alerts = rules.with_name(ALERT_RULES)
    if alerts != rules and alerts.is_file():
        doc = yaml.safe_load(alerts.read_text(encoding="utf-8")) or {}
        groups += [
            g for g in doc.get("groups", []) if str(g.get("name", "")).startswith(BACKFILLED_GROUPS)
        ]
    return groups


def split_rules(rules: Path, work: Path) -> list[Path]:
    """The recording rules as passes: rules reading no recorded series first, then those
    reading only the first pass's, and so on (a range query cannot read what its own pass
    records): the error budget reads the objective, which reads the attainment, which reads
    the hourly counts: four passes."""
    groups = recording_groups(rules)
    recorded = {
        rule["record"] for group in groups for rule in group.get("rules", []) if "record" in rule
    }
    pattern = (
        re.compile(
            r"(?<![\w:])("
            + "|".join(re.escape(r) for r in sorted(recorded, key=len, reverse=True))
            + r")(?![\w:])"
        )
        if recorded
        else None
    )
    reads: dict[str, set[str]] = {}  # recorded name -> the recorded names its rules read
    for group in groups:
        for rule in group.get("rules", []):
            if "record" in rule:
                found = set(pattern.findall(str(rule.get("expr", "")))) if pattern else set()
                reads.setdefault(rule["record"], set()).update(found - {rule["record"]})
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            if name in seen:
                raise UserError(f"the recording rules read each other in a circle: {name}")
            inner = [depth_of(other, seen | {name}) for other in reads.get(name, ())]
            depth[name] = 1 + max(inner) if inner else 0
        return depth[name]

    passes: list[list[dict[str, object]]] = []
    for group in groups:
        by_pass: dict[int, list[object]] = {}
        for rule in group.get("rules", []):
            if "record" in rule:
                by_pass.setdefault(depth_of(rule["record"]), []).append(rule)
        for index, members in by_pass.items():
            while len(passes) <= index:
                passes.append([])
            passes[index].append({**group, "rules": members})
    files = []
    for index, pass_groups in enumerate(passes):
        if pass_groups:
            path = work / f"rules-pass{index + 1}.yml"
            path.write_text(
                yaml.safe_dump({"groups": pass_groups}, sort_keys=False), encoding="utf-8"
            )
            files.append(path)
    return files


class TemporaryPrometheus:
    """A Prometheus on a copy (hard links where it can) of ``blocks``, for promtool to query."""

    def __init__(self, blocks: list[Path], work: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise UserError(
                "prometheus not found on PATH: it is needed to backfill the recording rules "
                "(install it, or pass --no-rules)"
            )
        self.data = work / "prometheus-data"
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        for directory in blocks:
            for name in _blocks(directory):
                shutil.copytree(directory / name, self.data / name, copy_function=_link_or_copy)
        config = work / "prometheus.yml"
        config.write_text("global:\n  evaluation_interval: 1m\n", encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(work / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--query.max-samples=500000000",
                "--query.timeout=30m",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise UserError(f"the temporary Prometheus exited; see {work / 'prometheus.log'}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise UserError("the temporary Prometheus did not become ready within a minute")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def query_range(url: str, expr: str, start: float, end: float, step: float) -> list[Any]:
    params = urllib.parse.urlencode(
        {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}s"}
    )
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=1800) as r:
            body = json.load(r)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:200]
        raise UserError(f"the temporary Prometheus refused a rule: {detail}") from None
    result: list[Any] = body["data"]["result"]
    return result


def evaluate_day(
    url: str, groups: list[dict[str, Any]], chunk: Chunk, start: float, end: float, step: float
) -> None:
    """Every recording rule over ``[start, end]`` (one query_range each) into ``chunk``."""
    for group in groups:
        for rule in group.get("rules", []):
            record = rule["record"]
            extra = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
            lines: list[str] = []
            for series in query_range(url, str(rule["expr"]), start, end, step):
                labels = {**series["metric"], **extra}
                labels.pop("__name__", None)
                prefix = series_text(record, sorted(labels.items())) + " "
                lines.extend(
                    f"{prefix}{value} {timestamp_text(float(t))}\n" for t, value in series["values"]
                )
            if lines:
                chunk.add(record, "gauge", f"recording rule {record}", lines)


def backfill_rules(
    out: Path,
    work: Path,
    rules: Path,
    spans: list[int],
    start: float,
    end: float,
    step: float,
    progress: Progress | None = None,
) -> int:
    """Rule blocks for the sampled ``spans`` (18 h each, within ``[start, end]``) into
    ``out``, one per span; returns how many.

    The temporary Prometheus evaluates each rule with ``query_range`` (what promtool's
    ``create-blocks-from rules`` does, which would write one block per rule per 2 h), and
    the results go through the same OpenMetrics -> promtool path as the raw series. Only
    the spans the raw series were sampled in are evaluated: a stretch the backfill skipped
    (no events for weeks, docs/history.md) costs nothing here either.
    """
    promtool = shutil.which("promtool") or "promtool"
    before = _blocks(out)
    for index, rule_file in enumerate(split_rules(rules, work)):
        groups = (yaml.safe_load(rule_file.read_text(encoding="utf-8")) or {}).get("groups", [])
        prometheus = TemporaryPrometheus([out], work)
        staged = work / "rule-blocks"
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir()
        try:
            for span in spans:
                day_start = max(start, math.ceil(span * SPAN / step) * step)
                day_end = min(end, math.ceil((span + 1) * SPAN / step) * step - step)
                if day_start > day_end:
                    continue
                if progress is not None:
                    stamp = datetime.fromtimestamp(day_start, UTC)
                    progress.update(0, f"recording rules, pass {index + 1}, {stamp:%Y-%m-%d %H:%M}")
                chunk = Chunk(work / f"rules-{int(day_start)}.om")
                evaluate_day(prometheus.url, groups, chunk, day_start, day_end, step)
                path = chunk.close()
                done = subprocess.run(
                    [
                        *(promtool, "tsdb", "create-blocks-from", "openmetrics"),
                        *("--max-block-duration=18h", "-q", str(path), str(staged)),
                    ],
                    capture_output=True,
                    text=True,
                )
                path.unlink(missing_ok=True)
                if done.returncode != 0:
                    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    raise UserError(f"promtool failed on the recording rules: {last}")
        finally:
            prometheus.stop()
        for name in _blocks(staged):  # the next pass reads these too
            shutil.move(str(staged / name), str(out / name))
    return len(_blocks(out) - before)
