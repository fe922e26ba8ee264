"""Starting each service of the stack, each returning once it answers.

Kafka (deploy/kafka/kafka.sh), the topics, the demo team-lead receiver, Alertmanager, the
workers, Prometheus and the simulator; each logs to ``logs/<name>.log`` of the stack folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

import yaml

from streams.errors import UserError
from streams.monitoring.prometheus import local_config
from streams.stack.alertmanager import alertmanager_config
from streams.stack.layout import DEFAULT_PORTS, KAFKA_SH, REPO_ROOT, TEAM_LEAD
from streams.stack.options import Options
from streams.stack.ports import http_ok
from streams.stack.processes import Proc, alive, last_lines, reap, start_ticks
from streams.stack.supervisor import Stack, say


def _cli(command: str, *args: str) -> list[str]:
    """``servicepulse COMMAND ARGS`` run with this interpreter."""
    return [sys.executable, "-m", "streams.cli", command, *args]


def start_kafka(stack: Stack, port: int, controller_port: int, opts: Options) -> None:
    if not KAFKA_SH.exists():
        raise UserError(f"{KAFKA_SH} not found (the stack needs a source checkout)")
    state_dir = stack.dir / "kafka"
    env = stack.env(
        {
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(controller_port),
            "KAFKA_STATE_DIR": str(state_dir),
            "KAFKA_NUM_PARTITIONS": str(opts.partitions),
            "KAFKA_START_TIMEOUT": str(int(max(opts.timeout, 30))),
        }
    )
    log = stack.logs / "kafka.log"
    t0 = time.monotonic()
    say(f"kafka: starting on 127.0.0.1:{port} (controller {controller_port}) ...")
    with log.open("ab") as out:
        for action, limit in (("fetch", 1800.0), ("start", opts.timeout + 60)):
            try:
                done = subprocess.run(
                    ["bash", str(KAFKA_SH), action],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=limit,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise UserError(f"kafka.sh {action} took over {limit:.0f}s (see {log})") from None
            if done.returncode != 0:
                raise UserError(f"kafka.sh {action} failed: {last_lines(log, 3)} (see {log})")
    try:
        pid = int((state_dir / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        raise UserError(f"kafka.sh start wrote no pid file in {state_dir}") from None
    stack.record(
        Proc(
            "kafka",
            "kafka",
            pid,
            start_ticks(pid),
            port,
            f"127.0.0.1:{port}",
            str(log),
            ["bash", str(KAFKA_SH), "start"],
        )
    )
    say(f"kafka: up (pid {pid}, {time.monotonic() - t0:.1f} s), bootstrap 127.0.0.1:{port}")


def create_topics(stack: Stack, broker: str, opts: Options) -> None:
    log = stack.logs / "topics.log"
    cmd = _cli("topics", "--broker", broker, "--partitions", str(opts.partitions))
    with log.open("ab") as out:
        try:
            done = subprocess.run(
                cmd,
                env=stack.env(),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=opts.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise UserError(f"servicepulse topics took over {opts.timeout:.0f}s") from None
    if done.returncode != 0:
        raise UserError(f"servicepulse topics failed: {last_lines(log, 2)} (see {log})")
    say(f"topics: {last_lines(log, 3)}")


def start_team_lead(stack: Stack, port: int, opts: Options) -> str:
    """The demo receiver of the leads' webhooks; returns its base URL."""
    url = f"http://127.0.0.1:{port}"
    out = stack.dir / "alertmanager" / "notifications.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(TEAM_LEAD), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--out", str(out)]
    proc = stack.spawn("team-lead", "team-lead", cmd, port=port, url=url + "/")
    stack.wait_ready([proc], lambda p: http_ok(f"{url}/health"), opts.timeout, "answering")
    say(f"team-lead: up (pid {proc.pid}), webhooks {url}/<team>")
    return url


def start_alertmanager(stack: Stack, binary: str, port: int, receiver: str, opts: Options) -> None:
    base = stack.dir / "alertmanager"
    (base / "data").mkdir(parents=True, exist_ok=True)
    config = base / "alertmanager.yml"
    text = yaml.safe_dump(alertmanager_config(receiver, os.environ), sort_keys=False)
    config.write_text("# Rendered by `servicepulse stack up`; edits are overwritten.\n" + text)
    url = f"http://127.0.0.1:{port}"
    proc = stack.spawn(
        "alertmanager",
        "alertmanager",
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={base / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        port=port,
        url=url,
    )
    stack.wait_ready([proc], lambda p: http_ok(f"{url}/-/ready"), opts.timeout, "ready")
    say(f"alertmanager: up (pid {proc.pid}) on {url}")


def start_workers(
    stack: Stack, broker: str, opts: Options, pick: Callable[[str, int], int]
) -> dict[str, int]:
    """``opts.workers`` workers in one consumer group; returns name -> /metrics port."""
    if opts.workers > opts.partitions:
        say(
            f"note: {opts.workers} workers for {opts.partitions} partitions: "
            f"{opts.workers - opts.partitions} will own no partition"
        )
    procs = []
    for n in range(1, opts.workers + 1):
        name = f"worker-{n}"
        port = pick(name, DEFAULT_PORTS["worker"] + n - 1)
        cmd = _cli(
            "worker",
            "--broker",
            broker,
            "--partitions",
            str(opts.partitions),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(stack.dir / "workers" / name),
            "--no-create-topics",
            "--log-level",
            "info",
        )
        if opts.policy:
            cmd += ["--policy", opts.policy]
        procs.append(
            stack.spawn(name, "worker", cmd, port=port, url=f"http://127.0.0.1:{port}/metrics")
        )
    say(f"workers: starting {', '.join(f'{p.name} :{p.port}' for p in procs)} ...")
    t0 = time.monotonic()
    stack.wait_ready(
        procs, lambda p: http_ok(f"http://127.0.0.1:{p.port}/health"), opts.timeout, "serving"
    )
    say(f"workers: up ({', '.join(str(p.pid) for p in procs)}; {time.monotonic() - t0:.1f} s)")
    return {p.name: int(p.port or 0) for p in procs}


def start_prometheus(
    stack: Stack, binary: str, port: int, workers: Mapping[str, int], am_port: int, opts: Options
) -> None:
    base = stack.dir / "prometheus"
    (base / "data").mkdir(parents=True, exist_ok=True)
    config = base / "prometheus.yml"
    doc = local_config(workers, port, am_port, opts.scrape_interval, opts.evaluation_interval)
    config.write_text(
        "# Rendered by `servicepulse stack up` from deploy/prometheus/"
        "prometheus.yml; edits are overwritten.\n" + yaml.safe_dump(doc, sort_keys=False)
    )
    url = f"http://127.0.0.1:{port}"
    proc = stack.spawn(
        "prometheus",
        "prometheus",
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={base / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.retention.time={'400d' if opts.history else '2d'}",
        ],
        port=port,
        url=url,
    )
    stack.wait_ready([proc], lambda p: http_ok(f"{url}/-/ready"), opts.timeout, "ready")
    say(f"prometheus: up (pid {proc.pid}) on {url}, scraping {len(workers)} workers")


def start_simulator(stack: Stack, broker: str, opts: Options) -> None:
    cmd = _cli(
        "simulate",
        "--broker",
        broker,
        "--rate",
        f"{opts.rate:g}",
        "--scenario",
        opts.scenario,
        "--seed",
        str(opts.seed),
        "--no-create-topics",
    )
    proc = stack.spawn("simulator", "simulator", cmd)
    time.sleep(1.0)
    if not alive(proc.pid, proc.started):
        reap(proc.pid)
        raise UserError(
            f"the simulator exited at once; see {proc.log}: {last_lines(proc.log) or '(empty)'}"
        )
    say(f"simulator: up (pid {proc.pid}), ~{opts.rate:g} events/s, scenario {opts.scenario}")
