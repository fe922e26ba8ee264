"""``servicepulse demo``: the embedded default, no broker needed.

The simulator feeds the engine in-process on an accelerated simulated clock
(``--speed`` x wall time); ``/metrics`` is served for Prometheus and a live
board is drawn in the terminal. Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from typing import Any

from rich.console import Console, Group
from rich.live import Live

from streams.alerting.options import add_alert_options, pusher_from_args
from streams.alerting.pusher import AlertPusher
from streams.console.board import Tally, Tee, render
from streams.console.next_breaches import render_next
from streams.core.engine import Engine, Gauges
from streams.core.events import parse_ts
from streams.core.policy import load_policies
from streams.core.warnings import DeadlineFigures, clock_warnings, upcoming
from streams.errors import UserError
from streams.export.exporter import Exporter
from streams.export.http import serve_metrics
from streams.settings import non_negative_number, port_number, positive_number
from streams.simulator import SCENARIOS, ContactCentre, SimConfig

TICK = 0.25  # wall seconds between engine steps
ALERT_TICK = 1.0  # wall seconds between ticket-alert evaluations


class LockedEngine:
    """Gauge source that reads the engine under the lock the feeding loop holds."""

    def __init__(self, engine: Engine, lock: threading.Lock) -> None:
        self.engine = engine
        self.lock = lock

    def gauges(self, now: float) -> Gauges:
        with self.lock:
            return self.engine.gauges(now)

    def deadline_figures(self, now: float) -> DeadlineFigures:
        with self.lock:
            return self.engine.deadline_figures(now)


class Demo:
    """Simulator -> engine on a simulated clock running ``speed`` times wall time."""

    def __init__(self, config: SimConfig, engine: Engine, speed: float, exporter: Exporter):
        self.engine = engine
        self.exporter = exporter
        self.speed = speed
        self.lock = threading.Lock()
        self.wall0 = time.time()
        self.sim0 = self.wall0
        self._events: Iterator[dict[str, Any]] = ContactCentre(config, self.sim0).events()
        self._next: dict[str, Any] | None = next(self._events, None)
        self._next_ts = _ts(self._next)
        self._swept = self.sim0
        self.pusher: AlertPusher | None = None
        self.escalate_after = float("inf")
        self._alerted = 0.0

    def sim_now(self) -> float:
        return self.sim0 + (time.time() - self.wall0) * self.speed

    def step(self) -> int:
        """Feed every simulated event due by now; returns how many."""
        now = self.sim_now()
        fed = 0
        with self.lock:
            engine = self.engine
            while self._next is not None and self._next_ts <= now:
                engine.advance(self._next_ts)
                engine.ingest(self._next)
                self.exporter.observe_lag((now - self._next_ts) / self.speed)
                fed += 1
                self._next = next(self._events, None)
                self._next_ts = _ts(self._next)
            engine.advance(now)
            if now - self._swept > 3600:  # bound memory: forget long-closed tickets
                engine.expire(now)
                self._swept = now
            self._push_alerts(now)
        return fed

    def _push_alerts(self, now: float) -> None:
        wall = time.time()
        if self.pusher is None or wall - self._alerted < ALERT_TICK:
            return
        self._alerted = wall
        share = self.engine.policies.at_risk
        warnings = clock_warnings(self.engine.open.values(), now, share, self.escalate_after)
        speed = self.speed
        self.pusher.update(warnings, now, wall, lambda t: wall - (now - t) / speed)


def _ts(event: dict[str, Any] | None) -> float:
    if event is None:
        return float("inf")
    return parse_ts(event["ts"])


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    config = SimConfig(
        seed=args.seed,
        scenario=args.scenario,
        arrivals_per_hour=args.arrivals_per_hour,
        outage_team=args.outage_team,
        outage_start=args.outage_start,
        outage_end=args.outage_end,
        flat_arrivals=args.flat_arrivals,
    )
    exporter = Exporter()
    tally = Tally()
    engine = Engine(policies, Tee(exporter, tally))
    try:
        demo = Demo(config, engine, args.speed, exporter)
    except ValueError as exc:  # the simulator refuses its configuration
        raise UserError(str(exc)) from None
    demo.pusher = pusher_from_args(args)
    demo.escalate_after = args.escalate_after * 1.0
    exporter.watch(LockedEngine(engine, demo.lock), now=demo.sim_now)
    try:
        server = serve_metrics(args.host, args.port, exporter.exposition)
    except OSError as exc:
        raise UserError(
            f"cannot serve /metrics on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    console = Console(stderr=True)
    console.print(
        f"[bold]ServicePulse demo[/] — scenario {args.scenario}, {args.speed:g}x speed, "
        f"metrics on http://{args.host}:{args.port}/metrics  (Ctrl-C to stop)"
    )
    deadline = time.monotonic() + args.duration if args.duration else None
    title = f"ServicePulse demo ({args.scenario})"
    live = None if args.no_board else Live(console=console, refresh_per_second=2)
    try:
        if live is not None:
            live.start()
        while deadline is None or time.monotonic() < deadline:
            demo.step()
            if live is not None:
                now = demo.sim_now()
                with demo.lock:
                    gauges = engine.gauges(now)
                    soon = upcoming(engine.open.values(), now)
                live.update(Group(render(tally, gauges, now, title), render_next(soon, now)))
            time.sleep(TICK)
    except KeyboardInterrupt:
        pass
    finally:
        if live is not None:
            live.stop()
        server.stop()
        if demo.pusher is not None:
            demo.pusher.close()
    console.print(f"stopped: {tally.processed:,} events processed, {tally.rejected:,} rejected")
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="simulated contact centre -> engine in-process; /metrics and a live board",
        description="The embedded default: a simulated contact centre feeds the engine "
        "in-process (no broker needed), /metrics is served, and a live board shows backlog, "
        "response times, SLA attainment, breaches and CSAT per team.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address for /metrics (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=port_number, default=9108, help="port for /metrics (default %(default)s)"
    )
    parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
    parser.add_argument(
        "--speed",
        type=positive_number,
        default=60.0,
        help="simulated seconds per wall second (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policy", metavar="P", help="SLA policy YAML (default: built-in)")
    parser.add_argument(
        "--arrivals-per-hour",
        type=positive_number,
        default=120.0,
        help="mean contacts per hour at the daily peak (default %(default)s)",
    )
    parser.add_argument(
        "--flat-arrivals",
        action="store_true",
        help="the same arrival rate at every hour of the day (no night lull)",
    )
    parser.add_argument(
        "--outage-team",
        default="technical",
        help="team that stops answering in the outage scenario",
    )
    parser.add_argument(
        "--outage-start",
        type=non_negative_number,
        default=0.0,
        help="outage start, simulated seconds from the start",
    )
    parser.add_argument(
        "--outage-end",
        type=non_negative_number,
        default=None,
        help="outage end, simulated seconds from the start (default: never)",
    )
    parser.add_argument(
        "--duration",
        type=positive_number,
        default=None,
        help="stop after this many wall seconds (default: run until Ctrl-C)",
    )
    parser.add_argument("--no-board", action="store_true", help="no terminal board (for services)")
    add_alert_options(parser)
    parser.set_defaults(func=command)
