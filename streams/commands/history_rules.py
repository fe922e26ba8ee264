"""The recording rules' series for a backfilled span.

Prometheus evaluates recording rules only on the live clock, so backfilled raw series
would have no ``team:servicepulse_csat:ratio_rate7d`` and friends before the moment
Prometheus loaded them. ``promtool tsdb create-blocks-from rules`` evaluates rules over a
past span through a Prometheus HTTP API; here that is a temporary Prometheus started on
hard links of the new raw blocks (its compactions never touch the originals), on a free
port, stopped afterwards. Rules that read other recording rules are evaluated in a second
pass, with the first pass's blocks loaded too (promtool cannot chain them in one run).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from streams.errors import UserError

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "deploy/prometheus/rules/recording.yml"
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _blocks(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.is_dir() and (p / "meta.json").exists()}


def split_rules(rules: Path, work: Path) -> list[Path]:
    """The rule file as passes: rules reading no recorded series first, then the rest."""
    doc = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
    recorded = {
        rule["record"]
        for group in doc.get("groups", [])
        for rule in group.get("rules", [])
        if "record" in rule
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
    passes: list[list[dict[str, object]]] = [[], []]
    for group in doc.get("groups", []):
        rules_of = [[], []]  # type: list[list[object]]
        for rule in group.get("rules", []):
            if "record" not in rule:
                continue
            chained = pattern is not None and pattern.search(str(rule.get("expr", ""))) is not None
            rules_of[chained].append(rule)
        for index in (0, 1):
            if rules_of[index]:
                passes[index].append({**group, "rules": rules_of[index]})
    files = []
    for index, groups in enumerate(passes):
        if groups:
            path = work / f"rules-pass{index + 1}.yml"
            path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
            files.append(path)
    return files


class TemporaryPrometheus:
    """A Prometheus on a copy (hard links) of ``blocks``, for promtool to query."""

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
                shutil.copytree(directory / name, self.data / name, copy_function=os.link)
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


def backfill_rules(
    out: Path, work: Path, rules: Path, start: float, end: float, step: float, progress: bool
) -> int:
    """Rule blocks for ``[start, end]`` into ``out``; returns how many blocks were written."""
    promtool = shutil.which("promtool") or "promtool"
    before = _blocks(out)
    rules_out = work / "rules"
    for index, rule_file in enumerate(split_rules(rules, work)):
        if progress:
            print(f"backfill: recording rules, pass {index + 1}", flush=True, file=sys.stderr)
        shutil.rmtree(rules_out, ignore_errors=True)
        rules_out.mkdir()
        prometheus = TemporaryPrometheus([out], work)
        try:
            result = subprocess.run(
                [
                    promtool,
                    "tsdb",
                    "create-blocks-from",
                    "rules",
                    f"--start={int(start)}",
                    f"--end={int(end)}",
                    f"--url={prometheus.url}",
                    f"--output-dir={rules_out}",
                    f"--eval-interval={int(step)}s",
                    "-q",
                    str(rule_file),
                ],
                capture_output=True,
                text=True,
            )
        finally:
            prometheus.stop()
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"promtool could not backfill the recording rules: {last}")
        for name in _blocks(rules_out):  # the next pass reads these too
            shutil.move(str(rules_out / name), str(out / name))
    shutil.rmtree(rules_out, ignore_errors=True)
    return len(_blocks(out) - before)
