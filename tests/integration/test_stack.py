"""`servicepulse stack up` end to end (``kafka``): the whole pipeline on loopback.

`stack up` with two workers and the simulator; Prometheus's HTTP API must show events
processed by both worker targets and the recording rules evaluated (a recording rule has a
value, no rule in error), a critical alert posted to Alertmanager must reach the billing
lead's webhook on the team-lead receiver; `stack down` must leave no process.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from streams.stack.layout import WORKER_JOB
from streams.stack.processes import alive, marked_processes

REPO = Path(__file__).resolve().parents[2]


def run_stack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "stack", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _prerequisites() -> str | None:
    for tool in ("java", "prometheus"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")):
        return "alertmanager is not installed"
    return None


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.kafka
@pytest.mark.timeout(300)
def test_stack_up_flows_events_to_prometheus_and_down_leaves_nothing(tmp_path: Path) -> None:
    reason = _prerequisites()
    if reason:
        pytest.skip(reason)
    directory = tmp_path / "stack"
    t0 = time.monotonic()
    try:
        up = run_stack(
            "up",
            "--dir",
            str(directory),
            "--workers",
            "2",
            "--rate",
            "20",
            "--scrape-interval",
            "1s",
            "--evaluation-interval",
            "1s",
            "--timeout",
            "120",
        )
        assert up.returncode == 0, up.stdout + up.stderr
        for step in ("kafka: up", "topics:", "workers: up", "prometheus: up", "simulator: up"):
            assert step in up.stderr, f"no progress line {step!r}:\n{up.stderr}"
        state = json.loads((directory / "stack.json").read_text())
        procs = {p["name"]: p for p in state["processes"]}
        assert set(procs) == {
            "kafka",
            "team-lead",
            "alertmanager",
            "worker-1",
            "worker-2",
            "prometheus",
            "simulator",
        }
        for proc in procs.values():
            assert alive(proc["pid"], proc["started"]), proc["name"]
            assert Path(proc["log"]).is_file()
        status = run_stack("status", "--dir", str(directory))
        assert status.returncode == 0 and "worker-2" in status.stdout

        # a critical billing alert, straight to Alertmanager: its route must reach the
        # billing lead's webhook on the team-lead receiver (critical group_wait: 10 s)
        smoke = [
            {
                "labels": {
                    "alertname": "StackSmokeTest",
                    "team": "billing",
                    "severity": "critical",
                    "category": "pipeline",
                },
                "annotations": {"summary": "stack smoke test"},
            }
        ]
        request = urllib.request.Request(
            f"{procs['alertmanager']['url']}/api/v2/alerts",
            data=json.dumps(smoke).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

        prom = procs["prometheus"]["url"]
        workers = {f"127.0.0.1:{procs[w]['port']}" for w in ("worker-1", "worker-2")}
        deadline = time.monotonic() + 120
        seen: set[str] = set()
        recorded: list[dict[str, Any]] = []
        while True:
            processed = query(prom, "sum by (instance) (servicepulse_events_processed_total) > 0")
            seen = {r["metric"]["instance"] for r in processed}
            recorded = query(prom, "job:servicepulse_events_processed:rate5m > 0")
            if seen == workers and recorded:
                break
            assert time.monotonic() < deadline, (
                f"after 120 s: events processed by {seen or 'no worker'} (want {workers}), "
                f"recording rule {'has' if recorded else 'has no'} value"
            )
            time.sleep(1)
        assert recorded[0]["metric"]["job"] == WORKER_JOB
        up_series = query(prom, 'up{job="servicepulse-worker"} == 1')
        assert {r["metric"]["instance"] for r in up_series} == workers
        with urllib.request.urlopen(f"{prom}/api/v1/rules", timeout=5) as response:
            groups = json.loads(response.read())["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        assert len(rules) > 100
        errors = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
        assert not errors, errors
        with urllib.request.urlopen(f"{prom}/api/v1/alertmanagers", timeout=5) as response:
            active = json.loads(response.read())["data"]["activeAlertmanagers"]
        assert [a["url"] for a in active] == [f"{procs['alertmanager']['url']}/api/v2/alerts"]

        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(procs["team-lead"]["url"], timeout=5) as response:
                got = json.loads(response.read())["notifications"]
            routed = [
                n["path"]
                for n in got
                for alert in n["payload"].get("alerts", [])
                if alert["labels"].get("alertname") == "StackSmokeTest"
            ]
            if routed:
                break
            assert time.monotonic() < deadline, f"no notification for the smoke alert: {got}"
            time.sleep(1)
        assert routed == ["/billing"]
    finally:
        down = run_stack("down", "--dir", str(directory), "--timeout", "30")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "none left" in down.stderr
    state = json.loads((directory / "stack.json").read_text())
    for proc in state["processes"]:
        assert not alive(proc["pid"], proc["started"]), f"{proc['name']} still alive"
    assert marked_processes(str(directory.resolve())) == []
    kafka_port = next(p["port"] for p in state["processes"] if p["name"] == "kafka")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", kafka_port)) != 0, "Kafka still listening"
    print(f"stack e2e: {time.monotonic() - t0:.1f} s")
