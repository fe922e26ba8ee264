"""`servicepulse stack up|down|status`: the local stack without Docker.

Tests without a broker: the rendered Prometheus and Alertmanager configurations (checked
with promtool/amtool when installed), port allocation, the team-lead receiver, and `down`
on stand-in processes — process groups, a child of a child found by the stack's marker,
a process that ignores SIGTERM, pid reuse. End to end: tests/integration/test_stack.py.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from streams.cli import build_parser
from streams.errors import UserError
from streams.monitoring.prometheus import local_config as prometheus_config
from streams.stack.alertmanager import alertmanager_config, compose_alertmanager_text
from streams.stack.layout import COMPOSE_ALERTMANAGER, TEAM_LEAD, WORKER_JOB
from streams.stack.ports import Ports, http_ok
from streams.stack.processes import alive, marked_processes, terminate
from streams.stack.supervisor import Stack

REPO = Path(__file__).resolve().parents[3]


def stack_cli() -> list[str]:
    """`servicepulse stack`, run with this interpreter."""
    return [sys.executable, "-m", "streams.cli", "stack"]


def run_stack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*stack_cli(), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


# ---- configuration --------------------------------------------------------------------------


def test_prometheus_config_scrapes_every_worker(tmp_path: Path) -> None:
    config = prometheus_config({"worker-1": 41001, "worker-2": 41002}, 41090, 41093, "2s", "3s")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker_targets = [t for g in jobs[WORKER_JOB]["static_configs"] for t in g["targets"]]
    assert worker_targets == ["127.0.0.1:41001", "127.0.0.1:41002"]
    assert [g["labels"]["worker"] for g in jobs[WORKER_JOB]["static_configs"]] == [
        "worker-1",
        "worker-2",
    ]
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["127.0.0.1:41090"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "127.0.0.1:41093"
    ]
    assert config["global"]["scrape_interval"] == "2s"
    assert config["global"]["scrape_timeout"] == "2s"
    assert config["global"]["evaluation_interval"] == "3s"
    rules = REPO / "streams" / "monitoring" / "rule_files"  # shipped in the package
    assert config["rule_files"] == [str(rules / "recording.yml"), str(rules / "alerts.yml")]
    assert all(Path(p).is_file() for p in config["rule_files"])
    if shutil.which("promtool"):
        path = tmp_path / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        done = subprocess.run(
            ["promtool", "check", "config", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_alertmanager_config_points_every_lead_at_the_receiver(tmp_path: Path) -> None:
    env = {"SERVICEPULSE_LEAD_WEBHOOK_SALES": "https://hooks.example/sales"}
    config = alertmanager_config("http://127.0.0.1:40095", env)
    urls = {
        rec["name"]: rec["webhook_configs"][0]["url"]
        for rec in config["receivers"]
        if rec.get("webhook_configs")
    }
    assert urls == {
        "unrouted": "http://127.0.0.1:40095/unrouted",
        "lead-billing": "http://127.0.0.1:40095/billing",
        "lead-technical": "http://127.0.0.1:40095/technical",
        "lead-sales": "https://hooks.example/sales",  # an address that is set wins
        "lead-platform": "http://127.0.0.1:40095/platform",
        # escalated ticket breaches (docs/warnings.md): the team's manager
        "manager-billing": "http://127.0.0.1:40095/billing-manager",
        "manager-technical": "http://127.0.0.1:40095/technical-manager",
        "manager-sales": "http://127.0.0.1:40095/sales-manager",
    }
    teams = alertmanager_config("http://x", {"SERVICEPULSE_TEAMS": "first-line,vip"})
    assert {r["name"] for r in teams["receivers"]} == {
        "unrouted",
        "lead-first-line",
        "lead-vip",
        "manager-first-line",
        "manager-vip",
        "lead-platform",
    }
    with pytest.raises(UserError, match="bad team name"):
        alertmanager_config("http://x", {"SERVICEPULSE_TEAMS": "no spaces please"})
    if shutil.which("amtool"):
        path = tmp_path / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config))
        done = subprocess.run(
            ["amtool", "check-config", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_compose_alertmanager_file_is_current() -> None:
    assert COMPOSE_ALERTMANAGER.read_text() == compose_alertmanager_text()
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "stack", "compose-config", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_ports_are_distinct_and_reused_when_free() -> None:
    ports = Ports()
    got = [ports.get() for _ in range(20)]
    assert len(set(got)) == 20
    again = Ports()
    assert again.get(got[0]) == got[0]  # free: the preferred one
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert again.get(taken) != taken  # in use: another one
        with pytest.raises(UserError, match="in use"):
            again.get(taken, fixed=True, what="prometheus")


# ---- the team-lead receiver -----------------------------------------------------------------


def test_team_lead_receiver_logs_and_lists_notifications(tmp_path: Path) -> None:
    port = Ports().get()
    out = tmp_path / "notifications.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(TEAM_LEAD), "--port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while not http_ok(f"{base}/health"):
            assert time.monotonic() < deadline and proc.poll() is None, "receiver did not start"
            time.sleep(0.1)
        payload = {
            "version": "4",
            "receiver": "lead-billing",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "ServicePulseSLABreach",
                        "team": "billing",
                        "severity": "critical",
                        "target": "first_response",
                    },
                    "annotations": {"summary": "first responses breaching"},
                }
            ],
        }
        request = urllib.request.Request(
            f"{base}/billing",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            listed = json.loads(response.read())["notifications"]
        assert listed[0]["path"] == "/billing" and listed[0]["payload"] == payload
        assert json.loads(out.read_text().splitlines()[0])["payload"] == payload
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert (
        "billing FIRING critical ServicePulseSLABreach target=first_response - "
        "first responses breaching" in output
    )


# ---- down on stand-in processes -------------------------------------------------------------


@pytest.fixture
def fake_stack(tmp_path: Path) -> Iterator[Stack]:
    st = Stack(tmp_path / "stack")
    st.dir.mkdir()
    st.logs.mkdir()
    st.state = {"version": 1, "dir": str(st.dir), "broker": "-", "processes": []}
    st.save()
    try:
        yield st
    finally:  # never leave a stand-in behind, whatever the test did
        terminate([(pid, None) for pid in marked_processes(st.marker)], timeout=2.0)


def test_down_stops_groups_grandchildren_and_stubborn_processes(fake_stack: Stack) -> None:
    st = fake_stack
    sleeper = st.spawn("simulator", "simulator", ["sleep", "300"])
    # a worker whose child is not in stack.json (found by its process group and marker)
    parent = st.spawn("worker-1", "worker", ["bash", "-c", "sleep 300 & sleep 300 & wait"])
    stubborn = st.spawn(
        "kafka",
        "kafka",
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)",
        ],
    )
    # a process in a session of its own, not in stack.json: only the marker finds it
    stray = subprocess.Popen(["sleep", "300"], env=st.env(), start_new_session=True)
    time.sleep(0.5)
    marked = set(marked_processes(st.marker))
    assert {sleeper.pid, parent.pid, stubborn.pid, stray.pid} <= marked
    assert len(marked) >= 6  # + the two sleeps under bash

    status = run_stack("status", "--dir", str(st.dir))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "worker-1" in status.stdout and "yes" in status.stdout

    t0 = time.monotonic()
    st.down(timeout=1.0)
    assert time.monotonic() - t0 < 15
    stray.wait(timeout=5)
    for proc in st.processes:
        assert not alive(proc.pid, proc.started), proc.name
    assert marked_processes(st.marker) == []
    assert json.loads(st.state_path.read_text())["stopped"]

    status = run_stack("status", "--dir", str(st.dir))
    assert status.returncode == 1 and "stopped" in status.stdout
    again = run_stack("down", "--dir", str(st.dir))
    assert again.returncode == 0, again.stderr


def test_alive_tells_a_reused_pid_apart(fake_stack: Stack) -> None:
    proc = fake_stack.spawn("team-lead", "team-lead", ["sleep", "300"])
    assert alive(proc.pid, proc.started)
    assert not alive(proc.pid, (proc.started or 0) + 1)  # same pid, another process
    fake_stack.down(timeout=2.0)
    assert not alive(proc.pid)


def test_up_refuses_a_running_stack(fake_stack: Stack) -> None:
    fake_stack.spawn("prometheus", "prometheus", ["sleep", "300"])
    done = run_stack("up", "--dir", str(fake_stack.dir))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"servicepulse: error: a stack is already running in {fake_stack.dir} "
        f"(servicepulse stack status/down --dir {fake_stack.dir})"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--rate", "-1"], "--rate must be positive"),
        (["--policy", "/nonexistent/policy.yml"], "no such file"),
        (["--prometheus-bin", "/nonexistent/prometheus"], "is not an executable"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_stack("up", "--dir", str(tmp_path / "s"), *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("servicepulse: error: ") and message in lines[0]


def test_status_and_down_without_a_stack(tmp_path: Path) -> None:
    status = run_stack("status", "--dir", str(tmp_path / "none"))
    assert status.returncode == 1 and "no stack in" in status.stdout
    down = run_stack("down", "--dir", str(tmp_path / "none"))
    assert down.returncode == 0 and "no stack in" in down.stderr


def test_an_old_store_option_of_stack_up_is_a_notice_not_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["stack", "up", "--store", "rocksdb", "--workers", "3"])
    assert args.workers == 3 and not hasattr(args, "store")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("servicepulse stack up: --store is ignored")
