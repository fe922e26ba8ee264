"""The ``servicepulse stack`` command: ``up``, ``status``, ``down`` and ``compose-config``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from streams.argtypes import duration, retired_option
from streams.errors import UserError
from streams.stack import orchestrate
from streams.stack.alertmanager import compose_alertmanager_text
from streams.stack.layout import COMPOSE_ALERTMANAGER, DEFAULT_DIR, SCENARIOS
from streams.stack.options import Options
from streams.stack.processes import alive, marked_processes
from streams.stack.supervisor import Stack


def up_command(args: argparse.Namespace) -> int:
    opts = Options(
        workers=args.workers,
        rate=args.rate,
        scenario=args.scenario,
        seed=args.seed,
        partitions=args.partitions,
        policy=str(Path(args.policy).resolve()) if args.policy else None,
        simulator=not args.no_simulator,
        default_ports=args.default_ports,
        scrape_interval=args.scrape_interval,
        evaluation_interval=args.evaluation_interval,
        timeout=args.timeout,
        fresh=args.fresh,
        prometheus_bin=args.prometheus_bin,
        alertmanager_bin=args.alertmanager_bin,
        history=args.history,
    )
    stack = Stack(args.dir)
    orchestrate.up(stack, opts)
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


def prometheus_interval(text: str) -> str:
    """A command-line duration (``streams.argtypes.duration``) as Prometheus writes one."""
    seconds = duration(text)
    millis = round(seconds * 1000)
    if millis < 1:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: at least 1 ms")
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


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

    start = actions.add_parser(
        "up",
        help="start the stack (returns once every process is ready)",
        description="Start the stack on free 127.0.0.1 ports (the same "
        "ones as last time when free) and return when every process "
        "answers. SERVICEPULSE_* variables of the environment reach the "
        "workers and the simulator (options given here win).",
    )
    with_dir(start)
    start.add_argument(
        "--history",
        metavar="FILE",
        help="JSONL history backfilled into Prometheus (blocks, recording rules) before "
        "it starts; then the stack goes live (see docs/history.md)",
    )
    start.add_argument(
        "--workers", metavar="N", type=int, default=2, help="Faust workers (default %(default)s)"
    )
    start.add_argument(
        "--partitions",
        metavar="N",
        type=int,
        default=4,
        help="partitions of the interaction topic (default %(default)s); "
        "at most this many workers get work",
    )
    start.add_argument(
        "--rate",
        metavar="R",
        type=float,
        default=20.0,
        help="simulator: about this many events per second (default %(default)s)",
    )
    start.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="normal",
        help="simulator scenario (default %(default)s)",
    )
    start.add_argument(
        "--seed", metavar="N", type=int, default=1, help="simulator seed (default %(default)s)"
    )
    start.add_argument(
        "--no-simulator",
        action="store_true",
        help="no simulator (produce your own events to the broker)",
    )
    start.add_argument("--policy", metavar="P", help="SLA policy YAML for the workers")
    retired_option(start, "--store", "the workers keep their state in memory and its changelog")
    start.add_argument(
        "--default-ports",
        action="store_true",
        help="the usual ports instead of free ones: Kafka 9092 (controller 9094), "
        "workers 9109.., Prometheus 9090, Alertmanager 9093, team-lead 9095",
    )
    start.add_argument(
        "--scrape-interval",
        metavar="D",
        type=prometheus_interval,
        default="5s",
        help="Prometheus scrape interval, seconds or 30s/1m (default %(default)s)",
    )
    start.add_argument(
        "--evaluation-interval",
        metavar="D",
        type=prometheus_interval,
        default="5s",
        help="Prometheus rule evaluation interval (default %(default)s)",
    )
    start.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=90.0,
        help="seconds each step may take to become ready (default %(default)s)",
    )
    start.add_argument(
        "--fresh",
        action="store_true",
        help="delete the previous run's state (Kafka data, worker tables, "
        "Prometheus data, logs) first",
    )
    start.add_argument(
        "--prometheus-bin",
        metavar="PATH",
        help="Prometheus binary [env SERVICEPULSE_PROMETHEUS_BIN; default prometheus on PATH]",
    )
    start.add_argument(
        "--alertmanager-bin",
        metavar="PATH",
        help="Alertmanager binary [env SERVICEPULSE_ALERTMANAGER_BIN; default "
        "prometheus-alertmanager or alertmanager on PATH]",
    )
    start.set_defaults(func=up_command)

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
