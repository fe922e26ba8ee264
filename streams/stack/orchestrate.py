"""`stack up`: the services in dependency order on free ports, undone if a step fails.

Kafka, the topics, the team-lead receiver, Alertmanager, the workers, Prometheus (scraping
the workers, alerting to that Alertmanager), then the simulator. A port that was used last
time is taken again when free (``--default-ports``: the usual ports or an error).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import asdict

from streams.errors import UserError
from streams.stack import services
from streams.stack.layout import DEFAULT_PORTS
from streams.stack.options import Options, check_prerequisites
from streams.stack.ports import Ports
from streams.stack.processes import marked_processes
from streams.stack.supervisor import Stack, now, say


def up(stack: Stack, opts: Options) -> None:
    """Start every process of ``stack``; on failure or Ctrl-C stop what was started."""
    prometheus_bin, alertmanager_bin = check_prerequisites(opts)
    stack.dir.mkdir(parents=True, exist_ok=True)
    had_state = stack.load()
    if had_state and (stack.running() or marked_processes(stack.marker)):
        raise UserError(
            f"a stack is already running in {stack.dir} "
            f"(servicepulse stack status/down --dir {stack.dir})"
        )
    previous = {p.name: p.port for p in stack.processes} if had_state else {}
    previous_kafka = stack.state.get("kafka_controller_port")
    if opts.fresh:
        for sub in ("kafka", "workers", "prometheus", "alertmanager", "logs"):
            shutil.rmtree(stack.dir / sub, ignore_errors=True)
        previous, previous_kafka = {}, None
    stack.logs.mkdir(parents=True, exist_ok=True)

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
    stack.state = {
        "version": 1,
        "dir": str(stack.dir),
        "created": now(),
        "stopped": None,
        "broker": broker,
        "kafka_controller_port": controller_port,
        "options": asdict(opts),
        "processes": [],
    }
    stack.save()
    t_start = time.monotonic()
    try:
        services.start_kafka(stack, kafka_port, controller_port, opts)
        services.create_topics(stack, broker, opts)
        team_lead_port = pick("team-lead", DEFAULT_PORTS["team-lead"])
        receiver = services.start_team_lead(stack, team_lead_port, opts)
        am_port = pick("alertmanager", DEFAULT_PORTS["alertmanager"])
        services.start_alertmanager(stack, alertmanager_bin, am_port, receiver, opts)
        workers = services.start_workers(stack, broker, opts, pick)
        prom_port = pick("prometheus", DEFAULT_PORTS["prometheus"])
        if opts.history:  # blocks in place before Prometheus opens its data directory
            from streams.history.backfill import load_history

            load_history(opts.history, stack.dir / "prometheus" / "data", opts.policy)
        services.start_prometheus(stack, prometheus_bin, prom_port, workers, am_port, opts)
        if opts.simulator:
            services.start_simulator(stack, broker, opts)
    except BaseException as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else "start-up failed"
        say(f"{reason}; stopping what was started ...")
        with contextlib.suppress(UserError):
            stack.down(timeout=15.0, quiet=True)
        raise
    say(
        f"up in {time.monotonic() - t_start:.1f} s: {len(stack.processes)} processes, "
        f"state in {stack.dir}"
    )
