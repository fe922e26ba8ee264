"""``servicepulse demo``: the embedded default, no broker needed.

The simulator feeds the engine in-process on an accelerated simulated clock
(``--speed`` x wall time); ``/metrics`` is served for Prometheus and a live
board is drawn in the terminal. Ctrl-C stops it cleanly.

Warm start: the simulated clock starts at a busy weekday hour
(``streams.simulator.warm_start``) after ``--history`` of the preceding time has gone
through the engine at full speed, so the first scrape and the first board already carry
every team's figures.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from streams.alerting.options import add_alert_options, pusher_from_args
from streams.alerting.pusher import AlertPusher
from streams.argtypes import non_negative_duration, port_number, positive_number, signed_duration
from streams.commands.backfill import parse_step
from streams.console.board import BoardSums, Tee, duration, render
from streams.console.next_breaches import render_next
from streams.core.backlog import DeadlineFigures
from streams.core.engine import Engine, Gauges
from streams.core.events import parse_ts
from streams.core.forewarnings import clock_warnings, upcoming
from streams.core.policy import load_policies
from streams.errors import UserError
from streams.export.exporter import Exporter
from streams.export.http import serve_metrics
from streams.ledger.options import add_ledger_options, ledger_from_args
from streams.simulator import SCENARIOS, ContactCentre, SimConfig
from streams.simulator.options import add_staffing_options
from streams.simulator.warm_start import BUSY_HOUR, busy_start

TICK = 0.25  # wall seconds between engine steps
FEED_BUDGET = 0.1  # wall seconds a step may hold the engine; the rest waits for the next step
MAX_SPEED = 3600.0  # one simulated hour per wall second (docs/limits.md)
ALERT_TICK = 1.0  # wall seconds between ticket-alert evaluations
DEFAULT_HISTORY = 86400.0  # a day before the live start: steady backlog, figures for every team


class LockedEngine:
    """Gauge source that reads the engine under the lock the feeding loop holds."""

    def __init__(self, engine: Engine, lock: threading.Lock) -> None:
        self.engine = engine
        self.lock = lock

    def backlog(self, now: float) -> tuple[Gauges, DeadlineFigures]:
        with self.lock:
            return self.engine.backlog(now)


class Demo:
    """Simulator -> engine on a simulated clock running ``speed`` times wall time.

    The simulation begins ``history`` seconds before ``start``; ``warm_up`` feeds that
    history at full speed, then the simulated clock runs from ``start``.
    """

    def __init__(
        self,
        config: SimConfig,
        engine: Engine,
        speed: float,
        exporter: Exporter,
        start: float | None = None,
        history: float = 0.0,
    ):
        self.engine = engine
        self.exporter = exporter
        self.speed = speed
        self.lock = threading.Lock()
        self.wall0 = time.time()
        self.sim0 = self.wall0 if start is None else start
        self.origin = self.sim0 - history
        self._events: Iterator[dict[str, Any]] = ContactCentre(config, self.origin).events()
        self._next: dict[str, Any] | None = next(self._events, None)
        self._next_ts = _ts(self._next)
        self._swept = self.origin
        self._warm = False
        self.pusher: AlertPusher | None = None
        self.escalate_after = float("inf")
        self._alerted = 0.0

    def warm_up(self) -> int:
        """Feed the history before ``sim0`` at full speed; the live clock starts after it."""
        fed = 0
        t = self.origin
        while t < self.sim0:
            t = min(t + 3600.0, self.sim0)
            fed += self._feed(t, live=False)
        self._warm = True
        self.wall0 = time.time()
        return fed

    def sim_now(self) -> float:
        return self.sim0 + (time.time() - self.wall0) * self.speed

    def step(self) -> int:
        """Feed every simulated event due by now; returns how many."""
        if not self._warm:
            self.warm_up()
        return self._feed(self.sim_now(), live=True)

    def _feed(self, now: float, live: bool) -> int:
        """Every event due by ``now`` into the engine. Live, a step holds the engine (and
        makes ``/metrics`` wait) at most ``FEED_BUDGET``: a machine that cannot keep up
        leaves the rest to the next step, the simulated clock falling behind the wall."""
        fed = 0
        budget = time.monotonic() + FEED_BUDGET
        with self.lock:
            engine = self.engine
            while self._next is not None and self._next_ts <= now:
                if live and fed % 64 == 63 and time.monotonic() > budget:
                    now = self._next_ts  # everything before it is in
                    break
                engine.advance(self._next_ts)
                engine.ingest(self._next)
                if live:  # history is fed at full speed: it has no processing lag to show
                    self.exporter.observe_lag((now - self._next_ts) / self.speed)
                fed += 1
                self._next = next(self._events, None)
                self._next_ts = _ts(self._next)
            engine.advance(now)
            if now - self._swept > 3600:  # bound memory: forget long-closed tickets
                engine.expire(now)
                self._swept = now
            if live:
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


SCENARIO_NOTES = {
    "normal": "normal: an ordinary weekday, most SLAs met, CSAT around 84%",
    "surge": "surge: 3x the contacts with the same staff, queues, abandonment and breaches grow",
    "outage": "outage: {team} stopped answering {ago}, its at-risk and breached clocks climb",
}


def demo_speed(text: str) -> float:
    """Simulated seconds per wall second: finite, above 0, at most ``MAX_SPEED``."""
    speed = positive_number(text)
    if speed > MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_SPEED:g} (an hour a second); for more, --history simulates "
            "the past at full speed"
        )
    return speed


def note(args: argparse.Namespace, url: str) -> str:
    """The board's one line: where /metrics is and what the scenario shows."""
    ago = duration(-args.outage_start) + " ago" if args.outage_start < 0 else "at the start"
    what = SCENARIO_NOTES[args.scenario].format(team=args.outage_team, ago=ago)
    return f"metrics: {url}  ·  {what}"


def parse_start(text: str) -> float:
    """An RFC 3339 / ISO 8601 instant (a date alone is midnight UTC; no offset means UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--start {text!r}: expected an ISO 8601 instant such as 2026-11-24T14:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def demo_start(args: argparse.Namespace, policies: Any) -> float:
    if args.start is not None:
        return parse_start(args.start)
    if args.wall_clock:
        return time.time()
    return busy_start(policies, time.time())


def command(args: argparse.Namespace) -> int:
    policies = load_policies(args.policy)
    start = demo_start(args, policies)
    history = args.history
    # outage times are relative to the live start; the simulation begins `history` earlier
    outage_start = max(0.0, history + args.outage_start)
    outage_end = None if args.outage_end is None else max(0.0, history + args.outage_end)
    config = SimConfig(
        seed=args.seed,
        scenario=args.scenario,
        arrivals_per_hour=args.arrivals_per_hour,
        outage_team=args.outage_team,
        outage_start=outage_start,
        outage_end=outage_end,
        surge_start=max(0.0, history + args.surge_start),
        flat_arrivals=args.flat_arrivals,
        seat_safety=args.seat_safety,
        greet_first=args.greet_first,
    )
    exporter = Exporter()
    sums = BoardSums()
    engine = Engine(policies, Tee(exporter, sums))
    engine.records = ledger = ledger_from_args(args, default=None)
    try:
        demo = Demo(config, engine, args.speed, exporter, start=start, history=history)
    except ValueError as exc:  # the simulator refuses its configuration
        raise UserError(str(exc)) from None
    demo.pusher = pusher_from_args(args)
    demo.escalate_after = args.escalate_after * 1.0
    if args.backfill_out:
        write_history_blocks(args, config, policies, demo.origin, start)
    console = Console(stderr=True)
    started = time.monotonic()
    warm = demo.warm_up()
    exporter.watch(LockedEngine(engine, demo.lock), now=demo.sim_now)
    try:
        server = serve_metrics(args.host, args.port, exporter.exposition)
    except OSError as exc:
        raise UserError(
            f"cannot serve /metrics on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    url = f"http://{args.host}:{args.port}/metrics"
    console.print(
        f"[bold]ServicePulse demo[/] — scenario {args.scenario}, {args.speed:g}x speed, "
        f"metrics on {url}  (Ctrl-C to stop)\n"
        f"warm start: {warm:,} events of {duration(history)} history simulated in "
        f"{time.monotonic() - started:.1f}s; live from "
        f"{datetime.fromtimestamp(start, UTC):%a %Y-%m-%d %H:%M} UTC"
    )
    deadline = time.monotonic() + args.duration if args.duration else None
    title = f"ServicePulse demo ({args.scenario})"
    line = Text(note(args, url), style="dim")
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
                board = Group(render(sums, gauges, now, title), render_next(soon, now), line)
                live.update(board)
            time.sleep(TICK)
    except KeyboardInterrupt:
        pass
    finally:
        if live is not None:
            live.stop()
        server.stop()
        if demo.pusher is not None:
            demo.pusher.close()
        if ledger is not None:
            with demo.lock:
                ledger.close()
    console.print(f"stopped: {sums.processed:,} events processed, {sums.rejected:,} rejected")
    return 0


def write_history_blocks(
    args: argparse.Namespace, config: SimConfig, policies: Any, origin: float, start: float
) -> None:
    """The same history (same seed, same start) as TSDB blocks, via ``backfill``."""
    from streams.commands.backfill import DEFAULT_RULES, backfill_events

    events = ContactCentre(config, origin).events(until=start)
    rules = None if args.backfill_no_rules else DEFAULT_RULES
    backfill_events(
        events,
        policies,
        args.backfill_out,
        step=args.backfill_step,
        show_progress=True,
        rules=rules,
    )


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
        type=demo_speed,
        default=60.0,
        help=f"simulated seconds per wall second, at most {MAX_SPEED:g} (default %(default)s)",
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
    add_staffing_options(parser)
    parser.add_argument(
        "--outage-team",
        default="technical",
        help="team that stops answering in the outage scenario",
    )
    parser.add_argument(
        "--outage-start",
        type=signed_duration,
        default=-3 * 3600.0,
        help="outage start relative to the live start, seconds or 90m/3h/1d; negative: "
        "during the history (default -3h, so breaches are already climbing)",
    )
    parser.add_argument(
        "--outage-end",
        type=signed_duration,
        default=None,
        help="outage end relative to the live start (default: never)",
    )
    parser.add_argument(
        "--surge-start",
        type=signed_duration,
        default=-DEFAULT_HISTORY,
        help="surge start relative to the live start, seconds or 90m/3h/1d; before it the "
        "contacts are normal (default -1d: from the start of the default history)",
    )
    parser.add_argument(
        "--start",
        metavar="INSTANT",
        help="simulated instant the live clock starts at, ISO 8601 (default: the latest "
        f"weekday {BUSY_HOUR}:00 in the time zone of the policy's business calendar)",
    )
    parser.add_argument(
        "--wall-clock",
        action="store_true",
        help="start the simulated clock at the current wall-clock time instead",
    )
    parser.add_argument(
        "--history",
        type=non_negative_duration,
        default=DEFAULT_HISTORY,
        metavar="SPAN",
        help="simulate this much of the past at full speed before going live, "
        "seconds or 6h/1d/14d (default 1d)",
    )
    parser.add_argument(
        "--backfill-out",
        metavar="DIR",
        help="also write the history as Prometheus TSDB blocks into DIR (see backfill)",
    )
    parser.add_argument(
        "--backfill-step",
        type=parse_step,
        default=60.0,
        metavar="S",
        help="sampling interval of those blocks (default 60s; see backfill --step)",
    )
    parser.add_argument(
        "--backfill-no-rules",
        action="store_true",
        help="raw series only in those blocks, no recording rules (faster)",
    )
    parser.add_argument(
        "--duration",
        type=positive_number,
        default=None,
        help="stop after this many wall seconds (default: run until Ctrl-C)",
    )
    parser.add_argument("--no-board", action="store_true", help="no terminal board (for services)")
    add_alert_options(parser)
    add_ledger_options(parser, default_note="default: none")
    parser.set_defaults(func=command)
