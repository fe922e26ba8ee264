"""``servicepulse stack up|down|status``: the whole pipeline on loopback, without Docker.

``up`` starts, in this order and each on a free 127.0.0.1 port:

1. Apache Kafka from ``deploy/kafka/kafka.sh`` (KRaft, state in ``DIR/kafka``);
2. ``servicepulse topics`` (the interaction and dead-letter topics, ``--partitions``);
3. the demo team-lead webhook receiver (``deploy/stack/team_lead.py``);
4. Alertmanager with the routing tree of ``deploy/alertmanager/render.py``, every
   team lead's webhook pointed at that receiver;
5. ``--workers`` Faust workers (``servicepulse worker``), one consumer group;
6. Prometheus with the project's rule files (``deploy/prometheus/rules``), scraping
   every worker, alerting to that Alertmanager;
7. the simulator (``servicepulse simulate``) producing to Kafka in real time.

Everything lives in one folder (``--dir``, default ``var/stack``): ``stack.json``
(pids, ports, command lines), ``logs/<process>.log``, and each process's state.
Every process gets ``SERVICEPULSE_STACK=<dir>`` in its environment, so ``down``
finds even a process it has no pid for (a child of a child). ``down`` stops them in
reverse order (SIGTERM to each process group, SIGKILL after ``--timeout``) and
fails unless none is left. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from streams.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
PROMETHEUS_BASE = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERTMANAGER_RENDER = REPO_ROOT / "deploy" / "alertmanager" / "render.py"
TEAM_LEAD = REPO_ROOT / "deploy" / "stack" / "team_lead.py"
COMPOSE_ALERTMANAGER = REPO_ROOT / "deploy" / "stack" / "alertmanager.compose.yml"
COMPOSE_RECEIVER = "http://team-lead:9095"

DEFAULT_DIR = str(REPO_ROOT / "var" / "stack")  # var/ is gitignored
STATE_FILE = "stack.json"
MARKER_ENV = "SERVICEPULSE_STACK"
WORKER_JOB = "servicepulse-worker"  # the job the alerts and recording rules expect
SCENARIOS = ("normal", "surge", "outage")

# --default-ports: the ports of deploy/prometheus/prometheus.yml, deploy/grafana and the
# docs (the Kafka controller moves to 9094: 9093 is Alertmanager's).
DEFAULT_PORTS = {
    "kafka": 9092,
    "kafka-controller": 9094,
    "team-lead": 9095,
    "alertmanager": 9093,
    "prometheus": 9090,
    "worker": 9109,  # worker-N: 9109 + N - 1
}

# The order of `down`: producers first, Kafka last (the workers commit on the way out).
STOP_ORDER = ("simulator", "worker", "prometheus", "alertmanager", "team-lead", "kafka")


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"stack: {message}", file=sys.stderr, flush=True)


# ---- processes ------------------------------------------------------------------------------


@dataclass
class Proc:
    """One process of the stack, as recorded in stack.json."""

    name: str
    kind: str
    pid: int
    started: int | None  # start time in clock ticks since boot (/proc/PID/stat field 22)
    port: int | None = None
    url: str | None = None
    log: str | None = None
    cmd: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proc:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process, None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    rest = text[text.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])


def start_ticks(pid: int) -> int | None:
    stat = _stat(pid)
    return stat[1] if stat else None


def alive(pid: int, started: int | None = None) -> bool:
    """The process runs (not a zombie) and, if ``started`` is given, is that same process."""
    stat = _stat(pid)
    if stat is None:
        if sys.platform.startswith("linux"):
            return False
        try:  # no /proc: the best there is
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    state, ticks = stat
    if state in ("Z", "X"):
        return False
    return started is None or ticks == started


def marked_processes(marker: str) -> list[int]:
    """Live processes whose environment carries ``SERVICEPULSE_STACK=<marker>``."""
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def _signal(pid: int, sig: int) -> None:
    """``sig`` to the process group of ``pid`` when it leads one, else to ``pid``."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process (no zombie left)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pids: Iterable[tuple[int, int | None]], timeout: float) -> list[int]:
    """SIGTERM (to each process group), wait up to ``timeout``, then SIGKILL.

    ``pids``: (pid, start ticks or None). Returns the pids that had to be killed.
    """
    live = [(pid, ticks) for pid, ticks in pids if alive(pid, ticks)]
    for pid, _ in live:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        for pid, _ in live:
            _reap(pid)
        live = [(pid, ticks) for pid, ticks in live if alive(pid, ticks)]
        if not live or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    killed = []
    for pid, _ in live:
        _signal(pid, signal.SIGKILL)
        killed.append(pid)
    deadline = time.monotonic() + 10
    while live and time.monotonic() < deadline:
        for pid, _ in live:
            _reap(pid)
        live = [(pid, ticks) for pid, ticks in live if alive(pid, ticks)]
        time.sleep(0.05)
    return killed


# ---- ports and HTTP -------------------------------------------------------------------------


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Ports:
    """Hands out distinct free loopback ports, preferring a given one when it is free."""

    def __init__(self) -> None:
        self.taken: set[int] = set()

    def get(self, preferred: int | None = None, *, fixed: bool = False, what: str = "") -> int:
        if preferred and preferred not in self.taken and port_free(preferred):
            self.taken.add(preferred)
            return preferred
        if fixed:
            raise UserError(f"port {preferred} for {what} is in use on 127.0.0.1")
        for _ in range(100):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            if port not in self.taken:
                self.taken.add(port)
                return port
        raise UserError("found no free port on 127.0.0.1")  # pragma: no cover


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _last_lines(path: Path | str | None, count: int = 5) -> str:
    if not path:
        return ""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip()]
    return " | ".join(lines[-count:])


# ---- configuration files --------------------------------------------------------------------


def _load_render() -> ModuleType:
    """deploy/alertmanager/render.py (not a package module: loaded from its path)."""
    spec = importlib.util.spec_from_file_location(
        "servicepulse_alertmanager_render", ALERTMANAGER_RENDER
    )
    if spec is None or spec.loader is None or not ALERTMANAGER_RENDER.exists():
        raise UserError(f"{ALERTMANAGER_RENDER} not found (the stack needs a source checkout)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alertmanager_config(receiver: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The routing tree of render.py; every lead without a configured address -> ``receiver``.

    ``receiver`` is the base URL of the team-lead receiver; team T posts to ``receiver/T``.
    A ``SERVICEPULSE_LEAD_WEBHOOK_<TEAM>`` or ``SERVICEPULSE_FALLBACK_WEBHOOK`` already in
    ``environ`` is kept.
    """
    render = _load_render()
    env = dict(environ)
    env["SERVICEPULSE_FALLBACK_WEBHOOK"] = (
        env.get("SERVICEPULSE_FALLBACK_WEBHOOK") or f"{receiver}/unrouted"
    )
    try:
        teams = render.parse_teams(env.get("SERVICEPULSE_TEAMS") or ",".join(render.DEFAULT_TEAMS))
        for team in [*teams, render.PIPELINE_TEAM]:
            key = f"SERVICEPULSE_LEAD_WEBHOOK_{render.env_key(team)}"
            env[key] = env.get(key) or f"{receiver}/{team}"
        config: dict[str, Any] = render.render_config(env)
    except ValueError as exc:  # render.RenderError
        raise UserError(f"alertmanager configuration: {exc}") from None
    return config


COMPOSE_ALERTMANAGER_HEADER = """\
# Alertmanager configuration of the docker-compose stack (docker-compose.yml).
#
# GENERATED by `servicepulse stack compose-config` (streams/stack.py) from
# deploy/alertmanager/render.py: the same routing tree and inhibitions as
# deploy/alertmanager/alertmanager.yml, with every team lead's webhook pointing
# at the demo receiver of the compose stack (service team-lead, port 9095).
# Do not edit: tests/test_compose.py checks it is up to date.
"""


def compose_alertmanager_text(teams: str | None = None) -> str:
    """The compose Alertmanager config; ``teams``: comma-separated (default render.py's)."""
    env = {"SERVICEPULSE_TEAMS": teams} if teams else {}
    body = yaml.safe_dump(alertmanager_config(COMPOSE_RECEIVER, env), sort_keys=False, width=100)
    return COMPOSE_ALERTMANAGER_HEADER + "\n" + body


def prometheus_config(
    workers: Mapping[str, int],
    prometheus_port: int,
    alertmanager_port: int | None,
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
) -> dict[str, Any]:
    """The stack's Prometheus config: streams/monitoring/prometheus.py's ``local_config``."""
    from streams.monitoring.prometheus import local_config

    return local_config(
        workers, prometheus_port, alertmanager_port, scrape_interval, evaluation_interval
    )


# ---- the stack ------------------------------------------------------------------------------


@dataclass
class Options:
    workers: int = 2
    rate: float = 20.0
    scenario: str = "normal"
    seed: int = 1
    partitions: int = 4
    policy: str | None = None
    store: str | None = None
    simulator: bool = True
    default_ports: bool = False
    scrape_interval: str = "5s"
    evaluation_interval: str = "5s"
    timeout: float = 90.0
    fresh: bool = False
    prometheus_bin: str | None = None
    alertmanager_bin: str | None = None


class Stack:
    """The processes of one stack folder."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = Path(directory).resolve()
        self.state_path = self.dir / STATE_FILE
        self.logs = self.dir / "logs"
        self.marker = str(self.dir)
        self.state: dict[str, Any] = {}

    # -- state file
    def load(self) -> bool:
        try:
            self.state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            self.state = {}
            return False
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read {self.state_path}: {exc}") from None
        return True

    def save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2) + "\n")
        tmp.replace(self.state_path)

    @property
    def processes(self) -> list[Proc]:
        return [Proc.from_dict(p) for p in self.state.get("processes", [])]

    def running(self) -> list[Proc]:
        return [p for p in self.processes if alive(p.pid, p.started)]

    def _record(self, proc: Proc) -> Proc:
        procs = [p for p in self.state.setdefault("processes", []) if p["name"] != proc.name]
        procs.append(asdict(proc))
        self.state["processes"] = procs
        self.save()
        return proc

    # -- environment of every child
    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env[MARKER_ENV] = self.marker
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra or {})
        return env

    def spawn(
        self,
        name: str,
        kind: str,
        cmd: list[str],
        *,
        port: int | None = None,
        url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Proc:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"\n=== {_now()} {' '.join(cmd)}\n".encode())
            out.flush()
            try:
                child = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env(env),
                    cwd=REPO_ROOT,
                    start_new_session=True,  # own process group: `down` signals the group
                )
            except OSError as exc:
                raise UserError(f"cannot start {name} ({cmd[0]}): {exc.strerror}") from None
        _CHILDREN.append(child)
        return self._record(
            Proc(name, kind, child.pid, start_ticks(child.pid), port, url, str(log), cmd)
        )

    def wait_ready(
        self, procs: list[Proc], check: Callable[[Proc], bool], timeout: float, what: str
    ) -> None:
        """Until ``check`` holds for every process; fail at once if one exits."""
        t0 = time.monotonic()
        pending = list(procs)
        last_note = 0.0
        while pending:
            for proc in list(pending):
                if not alive(proc.pid, proc.started):
                    _reap(proc.pid)
                    raise UserError(
                        f"{proc.name} exited during start-up; last lines of {proc.log}: "
                        f"{_last_lines(proc.log) or '(empty)'}"
                    )
                if check(proc):
                    pending.remove(proc)
            if not pending:
                break
            waited = time.monotonic() - t0
            if waited > timeout:
                names = ", ".join(p.name for p in pending)
                raise UserError(
                    f"{names} not {what} after {timeout:.0f}s; see {pending[0].log}: "
                    f"{_last_lines(pending[0].log) or '(empty)'}"
                )
            if waited - last_note >= 10:
                last_note = waited
                say(f"  ... waiting for {', '.join(p.name for p in pending)} ({waited:.0f} s)")
            time.sleep(0.25)

    # -- up
    def up(self, opts: Options) -> None:
        prometheus_bin, alertmanager_bin = _check_prerequisites(opts)
        self.dir.mkdir(parents=True, exist_ok=True)
        had_state = self.load()
        if had_state and (self.running() or marked_processes(self.marker)):
            raise UserError(
                f"a stack is already running in {self.dir} "
                f"(servicepulse stack status/down --dir {self.dir})"
            )
        previous = {p.name: p.port for p in self.processes} if had_state else {}
        previous_kafka = self.state.get("kafka_controller_port")
        if opts.fresh:
            for sub in ("kafka", "workers", "prometheus", "alertmanager", "logs"):
                shutil.rmtree(self.dir / sub, ignore_errors=True)
            previous, previous_kafka = {}, None
        self.logs.mkdir(parents=True, exist_ok=True)

        ports = Ports()
        fixed = opts.default_ports

        def pick(name: str, default: int) -> int:
            wanted = default if fixed else previous.get(name)
            return ports.get(wanted, fixed=fixed, what=name)

        kafka_port = pick("kafka", DEFAULT_PORTS["kafka"])
        controller_port = ports.get(
            DEFAULT_PORTS["kafka-controller"] if fixed else previous_kafka,
            fixed=fixed,
            what="the Kafka controller",
        )
        broker = f"127.0.0.1:{kafka_port}"
        self.state = {
            "version": 1,
            "dir": str(self.dir),
            "created": _now(),
            "stopped": None,
            "broker": broker,
            "kafka_controller_port": controller_port,
            "options": asdict(opts),
            "processes": [],
        }
        self.save()
        t_start = time.monotonic()
        try:
            self._start_kafka(kafka_port, controller_port, opts)
            self._create_topics(broker, opts)
            receiver = self._start_team_lead(pick("team-lead", DEFAULT_PORTS["team-lead"]), opts)
            am_port = pick("alertmanager", DEFAULT_PORTS["alertmanager"])
            self._start_alertmanager(alertmanager_bin, am_port, receiver, opts)
            workers = self._start_workers(broker, opts, pick)
            prom_port = pick("prometheus", DEFAULT_PORTS["prometheus"])
            self._start_prometheus(prometheus_bin, prom_port, workers, am_port, opts)
            if opts.simulator:
                self._start_simulator(broker, opts)
        except BaseException as exc:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else "start-up failed"
            say(f"{reason}; stopping what was started ...")
            with contextlib.suppress(UserError):
                self.down(timeout=15.0, quiet=True)
            raise
        say(
            f"up in {time.monotonic() - t_start:.1f} s: {len(self.processes)} processes, "
            f"state in {self.dir}"
        )

    def _start_kafka(self, port: int, controller_port: int, opts: Options) -> None:
        if not KAFKA_SH.exists():
            raise UserError(f"{KAFKA_SH} not found (the stack needs a source checkout)")
        state_dir = self.dir / "kafka"
        env = self.env(
            {
                "KAFKA_PORT": str(port),
                "KAFKA_CONTROLLER_PORT": str(controller_port),
                "KAFKA_STATE_DIR": str(state_dir),
                "KAFKA_NUM_PARTITIONS": str(opts.partitions),
                "KAFKA_START_TIMEOUT": str(int(max(opts.timeout, 30))),
            }
        )
        log = self.logs / "kafka.log"
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
                    raise UserError(
                        f"kafka.sh {action} took over {limit:.0f}s (see {log})"
                    ) from None
                if done.returncode != 0:
                    raise UserError(f"kafka.sh {action} failed: {_last_lines(log, 3)} (see {log})")
        try:
            pid = int((state_dir / "kafka.pid").read_text().strip())
        except (OSError, ValueError):
            raise UserError(f"kafka.sh start wrote no pid file in {state_dir}") from None
        self._record(
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

    def _create_topics(self, broker: str, opts: Options) -> None:
        log = self.logs / "topics.log"
        cmd = [
            sys.executable,
            "-m",
            "streams.cli",
            "topics",
            "--broker",
            broker,
            "--partitions",
            str(opts.partitions),
        ]
        with log.open("ab") as out:
            try:
                done = subprocess.run(
                    cmd,
                    env=self.env(),
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
            raise UserError(f"servicepulse topics failed: {_last_lines(log, 2)} (see {log})")
        say(f"topics: {_last_lines(log, 3)}")

    def _start_team_lead(self, port: int, opts: Options) -> str:
        url = f"http://127.0.0.1:{port}"
        out = self.dir / "alertmanager" / "notifications.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        proc = self.spawn(
            "team-lead",
            "team-lead",
            [
                sys.executable,
                str(TEAM_LEAD),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--out",
                str(out),
            ],
            port=port,
            url=url + "/",
        )
        self.wait_ready([proc], lambda p: http_ok(f"{url}/health"), opts.timeout, "answering")
        say(f"team-lead: up (pid {proc.pid}), webhooks {url}/<team>")
        return url

    def _start_alertmanager(self, binary: str, port: int, receiver: str, opts: Options) -> None:
        base = self.dir / "alertmanager"
        (base / "data").mkdir(parents=True, exist_ok=True)
        config = base / "alertmanager.yml"
        text = yaml.safe_dump(alertmanager_config(receiver, os.environ), sort_keys=False)
        config.write_text("# Rendered by `servicepulse stack up`; edits are overwritten.\n" + text)
        url = f"http://127.0.0.1:{port}"
        proc = self.spawn(
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
        self.wait_ready([proc], lambda p: http_ok(f"{url}/-/ready"), opts.timeout, "ready")
        say(f"alertmanager: up (pid {proc.pid}) on {url}")

    def _start_workers(
        self, broker: str, opts: Options, pick: Callable[[str, int], int]
    ) -> dict[str, int]:
        if opts.workers > opts.partitions:
            say(
                f"note: {opts.workers} workers for {opts.partitions} partitions: "
                f"{opts.workers - opts.partitions} will own no partition"
            )
        procs = []
        for n in range(1, opts.workers + 1):
            name = f"worker-{n}"
            port = pick(name, DEFAULT_PORTS["worker"] + n - 1)
            cmd = [
                sys.executable,
                "-m",
                "streams.cli",
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
                str(self.dir / "workers" / name),
                "--no-create-topics",
                "--log-level",
                "info",
            ]
            if opts.policy:
                cmd += ["--policy", opts.policy]
            if opts.store:
                cmd += ["--store", opts.store]
            procs.append(
                self.spawn(name, "worker", cmd, port=port, url=f"http://127.0.0.1:{port}/metrics")
            )
        say(f"workers: starting {', '.join(f'{p.name} :{p.port}' for p in procs)} ...")
        t0 = time.monotonic()
        self.wait_ready(
            procs, lambda p: http_ok(f"http://127.0.0.1:{p.port}/health"), opts.timeout, "serving"
        )
        say(f"workers: up ({', '.join(str(p.pid) for p in procs)}; {time.monotonic() - t0:.1f} s)")
        return {p.name: int(p.port or 0) for p in procs}

    def _start_prometheus(
        self, binary: str, port: int, workers: Mapping[str, int], am_port: int, opts: Options
    ) -> None:
        base = self.dir / "prometheus"
        (base / "data").mkdir(parents=True, exist_ok=True)
        config = base / "prometheus.yml"
        doc = prometheus_config(
            workers, port, am_port, opts.scrape_interval, opts.evaluation_interval
        )
        config.write_text(
            "# Rendered by `servicepulse stack up` from deploy/prometheus/"
            "prometheus.yml; edits are overwritten.\n" + yaml.safe_dump(doc, sort_keys=False)
        )
        url = f"http://127.0.0.1:{port}"
        proc = self.spawn(
            "prometheus",
            "prometheus",
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={base / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=2d",
            ],
            port=port,
            url=url,
        )
        self.wait_ready([proc], lambda p: http_ok(f"{url}/-/ready"), opts.timeout, "ready")
        say(f"prometheus: up (pid {proc.pid}) on {url}, scraping {len(workers)} workers")

    def _start_simulator(self, broker: str, opts: Options) -> None:
        cmd = [
            sys.executable,
            "-m",
            "streams.cli",
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
        ]
        proc = self.spawn("simulator", "simulator", cmd)
        time.sleep(1.0)
        if not alive(proc.pid, proc.started):
            _reap(proc.pid)
            raise UserError(
                f"the simulator exited at once; see {proc.log}: "
                f"{_last_lines(proc.log) or '(empty)'}"
            )
        say(f"simulator: up (pid {proc.pid}), ~{opts.rate:g} events/s, scenario {opts.scenario}")

    # -- down
    def down(self, timeout: float = 30.0, quiet: bool = False) -> int:
        """Stop every process; return how many were running. UserError if any is left."""
        had_state = self.load()
        procs = self.processes
        running = [p for p in procs if alive(p.pid, p.started)]
        strays = [
            pid for pid in marked_processes(self.marker) if pid not in {p.pid for p in running}
        ]
        if not had_state and not strays:
            if not quiet:
                say(f"no stack in {self.dir}")
            return 0
        order = {kind: i for i, kind in enumerate(STOP_ORDER)}
        for kind in sorted({p.kind for p in running}, key=lambda k: order.get(k, -1)):
            stage = [p for p in running if p.kind == kind]
            if not quiet:
                say(f"stopping {', '.join(f'{p.name} ({p.pid})' for p in stage)} ...")
            killed = terminate([(p.pid, p.started) for p in stage], timeout)
            if killed and not quiet:
                say(f"  killed after {timeout:g}s: {', '.join(map(str, killed))}")
        # anything else carrying the stack's marker (children of children, a half-started run)
        leftovers = marked_processes(self.marker)
        if leftovers:
            if not quiet:
                say(
                    f"stopping {len(leftovers)} more process(es) of the stack: "
                    f"{', '.join(map(str, leftovers))}"
                )
            terminate([(pid, start_ticks(pid)) for pid in leftovers], min(timeout, 10.0))
        remaining = [p.name for p in procs if alive(p.pid, p.started)]
        remaining += [str(pid) for pid in marked_processes(self.marker)]
        if had_state:
            self.state["stopped"] = _now()
            self.save()
        if remaining:
            raise UserError(f"still running after stop: {', '.join(remaining)}")
        if not quiet:
            say(f"stopped {len(running) + len(strays)} processes; none left (logs in {self.logs})")
        return len(running) + len(strays)


_CHILDREN: list[subprocess.Popen[bytes]] = []  # kept so that no ResourceWarning is raised


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _find_binary(given: str | None, env: str, names: tuple[str, ...], package: str) -> str:
    candidate = given or os.environ.get(env)
    if candidate:
        path = shutil.which(candidate)
        if not path:
            raise UserError(f"{candidate} is not an executable ({env} or option)")
        return path
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise UserError(f"{names[0]} not found on PATH (apt-get install {package}, or set {env})")


def _check_prerequisites(opts: Options) -> tuple[str, str]:
    if opts.workers < 1:
        raise UserError("--workers must be at least 1")
    if opts.partitions < 1:
        raise UserError("--partitions must be at least 1")
    if not opts.rate > 0:
        raise UserError("--rate must be positive")
    if opts.timeout <= 0:
        raise UserError("--timeout must be positive")
    if opts.policy and not Path(opts.policy).is_file():
        raise UserError(f"--policy {opts.policy}: no such file")
    for path in (KAFKA_SH, PROMETHEUS_BASE, ALERTMANAGER_RENDER, TEAM_LEAD):
        if not path.exists():
            raise UserError(f"{path} not found (the local stack needs a source checkout)")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and not shutil.which("java"):
        raise UserError(
            "java not found (Kafka needs Java 17+: apt-get install "
            "openjdk-17-jre-headless, or set JAVA_HOME)"
        )
    prometheus = _find_binary(
        opts.prometheus_bin, "SERVICEPULSE_PROMETHEUS_BIN", ("prometheus",), "prometheus"
    )
    alertmanager = _find_binary(
        opts.alertmanager_bin,
        "SERVICEPULSE_ALERTMANAGER_BIN",
        ("prometheus-alertmanager", "alertmanager"),
        "prometheus-alertmanager",
    )
    return prometheus, alertmanager


# ---- commands -------------------------------------------------------------------------------


def up_command(args: argparse.Namespace) -> int:
    opts = Options(
        workers=args.workers,
        rate=args.rate,
        scenario=args.scenario,
        seed=args.seed,
        partitions=args.partitions,
        policy=str(Path(args.policy).resolve()) if args.policy else None,
        store=args.store,
        simulator=not args.no_simulator,
        default_ports=args.default_ports,
        scrape_interval=args.scrape_interval,
        evaluation_interval=args.evaluation_interval,
        timeout=args.timeout,
        fresh=args.fresh,
        prometheus_bin=args.prometheus_bin,
        alertmanager_bin=args.alertmanager_bin,
    )
    stack = Stack(args.dir)
    stack.up(opts)
    print_status(stack)
    return 0


def down_command(args: argparse.Namespace) -> int:
    Stack(args.dir).down(timeout=args.timeout)
    return 0


def print_status(stack: Stack) -> bool:
    """The table of processes; True if every one is alive."""
    from rich.console import Console
    from rich.table import Table

    procs = stack.processes
    table = Table(title=f"ServicePulse stack in {stack.dir}", title_justify="left")
    for column in ("process", "pid", "port", "alive", "address", "log"):
        table.add_column(column, no_wrap=column != "log")
    all_alive = bool(procs)
    for proc in procs:
        up = alive(proc.pid, proc.started)
        all_alive &= up
        table.add_row(
            proc.name,
            str(proc.pid),
            str(proc.port or "-"),
            "[green]yes[/]" if up else "[red]no[/]",
            proc.url or "-",
            _shown(proc.log),
        )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    stopped = stack.state.get("stopped")
    console.print(
        f"broker {stack.state.get('broker', '-')}" + (f"; stopped {stopped}" if stopped else "")
    )
    return all_alive


def _shown(path: str | None) -> str:
    """A path relative to the working directory when it is below it."""
    if not path:
        return "-"
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def status_command(args: argparse.Namespace) -> int:
    stack = Stack(args.dir)
    if not stack.load():
        strays = marked_processes(stack.marker)
        print(
            f"no stack in {stack.dir}"
            + (
                f" (but processes {strays} carry its marker: servicepulse stack down)"
                if strays
                else ""
            )
        )
        return 1
    if args.json:
        doc = dict(stack.state)
        doc["processes"] = [
            {**asdict(p), "alive": alive(p.pid, p.started)} for p in stack.processes
        ]
        print(json.dumps(doc, indent=2))
        return 0 if all(p["alive"] for p in doc["processes"]) and doc["processes"] else 1
    return 0 if print_status(stack) else 1


def compose_config_command(args: argparse.Namespace) -> int:
    text = compose_alertmanager_text(args.teams)
    if args.check:
        have = COMPOSE_ALERTMANAGER.read_text() if COMPOSE_ALERTMANAGER.exists() else ""
        if have != text:
            raise UserError(
                f"{COMPOSE_ALERTMANAGER} is out of date: run `servicepulse stack compose-config`"
            )
        print(f"{COMPOSE_ALERTMANAGER} is up to date")
        return 0
    COMPOSE_ALERTMANAGER.write_text(text)
    print(f"wrote {COMPOSE_ALERTMANAGER}")
    return 0


def _duration(text: str) -> str:
    import re

    if not re.fullmatch(r"(\d+(ms|s|m|h))+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Prometheus duration such as 5s or 1m")
    return text


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "stack",
        help="the local stack without Docker: Kafka, workers, simulator, Prometheus, Alertmanager",
        description="Start, inspect and stop the whole pipeline on loopback from the source "
        "checkout: the real Kafka of deploy/kafka, the topics, N workers, the simulator, "
        "Prometheus with the project's rules and Alertmanager with its routing tree and a "
        "demo team-lead receiver. Pids, ports, logs and state live in one folder.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def with_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--dir",
            default=DEFAULT_DIR,
            help="the stack's folder: stack.json, logs/, state (default %(default)s)",
        )

    up = actions.add_parser(
        "up",
        help="start the stack (returns once every process is ready)",
        description="Start the stack on free 127.0.0.1 ports (the same "
        "ones as last time when free) and return when every process "
        "answers. SERVICEPULSE_* variables of the environment reach the "
        "workers and the simulator (options given here win).",
    )
    with_dir(up)
    up.add_argument(
        "--workers", metavar="N", type=int, default=2, help="Faust workers (default %(default)s)"
    )
    up.add_argument(
        "--partitions",
        metavar="N",
        type=int,
        default=4,
        help="partitions of the interaction topic (default %(default)s); "
        "at most this many workers get work",
    )
    up.add_argument(
        "--rate",
        metavar="R",
        type=float,
        default=20.0,
        help="simulator: about this many events per second (default %(default)s)",
    )
    up.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="normal",
        help="simulator scenario (default %(default)s)",
    )
    up.add_argument(
        "--seed", metavar="N", type=int, default=1, help="simulator seed (default %(default)s)"
    )
    up.add_argument(
        "--no-simulator",
        action="store_true",
        help="no simulator (produce your own events to the broker)",
    )
    up.add_argument("--policy", metavar="P", help="SLA policy YAML for the workers")
    up.add_argument(
        "--store",
        choices=("rocksdb", "memory"),
        help="the workers' table store (default: the worker's, rocksdb)",
    )
    up.add_argument(
        "--default-ports",
        action="store_true",
        help="the usual ports instead of free ones: Kafka 9092 (controller 9094), "
        "workers 9109.., Prometheus 9090, Alertmanager 9093, team-lead 9095",
    )
    up.add_argument(
        "--scrape-interval",
        metavar="D",
        type=_duration,
        default="5s",
        help="Prometheus scrape interval (default %(default)s)",
    )
    up.add_argument(
        "--evaluation-interval",
        metavar="D",
        type=_duration,
        default="5s",
        help="Prometheus rule evaluation interval (default %(default)s)",
    )
    up.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=90.0,
        help="seconds each step may take to become ready (default %(default)s)",
    )
    up.add_argument(
        "--fresh",
        action="store_true",
        help="delete the previous run's state (Kafka data, worker tables, "
        "Prometheus data, logs) first",
    )
    up.add_argument(
        "--prometheus-bin",
        metavar="PATH",
        help="Prometheus binary [env SERVICEPULSE_PROMETHEUS_BIN; default prometheus on PATH]",
    )
    up.add_argument(
        "--alertmanager-bin",
        metavar="PATH",
        help="Alertmanager binary [env SERVICEPULSE_ALERTMANAGER_BIN; default "
        "prometheus-alertmanager or alertmanager on PATH]",
    )
    up.set_defaults(func=up_command)

    down = actions.add_parser(
        "down",
        help="stop every process of the stack",
        description="Stop the stack in reverse order (SIGTERM, then "
        "SIGKILL after --timeout) and check that no process is left. "
        "Logs and state stay in the folder.",
    )
    with_dir(down)
    down.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="seconds between SIGTERM and SIGKILL (default %(default)s)",
    )
    down.set_defaults(func=down_command)

    status = actions.add_parser(
        "status",
        help="each process, pid, port, alive",
        description="A table of the stack's processes; exit 0 if every one is alive, 1 otherwise.",
    )
    with_dir(status)
    status.add_argument("--json", action="store_true", help="stack.json with an alive flag")
    status.set_defaults(func=status_command)

    compose = actions.add_parser(
        "compose-config",
        help="regenerate deploy/stack/alertmanager.compose.yml (docker-compose.yml)",
        description="Write the Alertmanager configuration of docker-compose.yml: the routing "
        "tree of deploy/alertmanager/render.py with every lead's webhook on the team-lead "
        "service.",
    )
    compose.add_argument(
        "--teams",
        metavar="T1,T2",
        help="support teams with a lead receiver (default: render.py's billing,technical,sales; "
        "the team platform is always there)",
    )
    compose.add_argument("--check", action="store_true", help="only check it is up to date")
    compose.set_defaults(func=compose_config_command)
