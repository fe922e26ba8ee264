"""Ticket-level warnings under load: 100,000 open tickets with deadlines spread over a day.

Prints the CPU cost of one evaluation tick (clock_warnings over every open ticket) against a
baseline in the same run (a bare loop over the same tickets' clocks), and, with
``--alertmanager URL``, the alerts pushed per second to a real Alertmanager.

    python bench/warnings.py [--tickets 100000] [--alertmanager http://127.0.0.1:9093]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streams.alerting.pusher import AlertPusher
from streams.core.engine import Engine
from streams.core.forewarnings import clock_warnings
from streams.core.policy import parse_policy
from streams.simulator import iso

POLICY = {
    "policies": [
        {
            "name": "day",
            "targets": {"first_response": "1d"},
            "warn_before": {"first_response": "1h"},
        }
    ]
}


class NullSink:
    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        pass

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        pass


def build(tickets: int, now: float) -> Engine:
    engine = Engine(parse_policy(POLICY), NullSink())
    for i in range(tickets):
        created = now - 86400.0 * (i / tickets)  # deadlines spread over the next day
        engine.ingest(
            {
                "event_id": f"c{i}",
                "type": "ticket.created",
                "ticket_id": f"t{i}",
                "ts": iso(created),
                "team": f"team{i % 8}",
                "channel": "email",
                "priority": "normal",
                "customer_id": f"c{i}",
            }
        )
    engine.advance(now)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=5)
    parser.add_argument("--alertmanager", help="push the warnings to this Alertmanager")
    args = parser.parse_args()
    now = float(int(time.time()))
    engine = build(args.tickets, now)
    tickets = list(engine.open.values())

    t0 = time.process_time()
    for _ in range(args.ticks):
        running = sum(1 for t in tickets for c in t.clocks if c is not None and c.running)
    baseline = (time.process_time() - t0) / args.ticks
    t0 = time.process_time()
    for _ in range(args.ticks):
        warnings = clock_warnings(tickets, now, engine.policies.at_risk)
    tick = (time.process_time() - t0) / args.ticks
    print(f"open tickets {len(tickets):,}, running clocks {running:,}")
    print(f"baseline  bare loop over the clocks     {baseline * 1000:8.1f} ms CPU per tick")
    print(
        f"warnings  clock_warnings                {tick * 1000:8.1f} ms CPU per tick "
        f"({len(warnings):,} alerts; ratio to baseline {tick / baseline:.1f})"
    )
    if args.alertmanager:
        pusher = AlertPusher([args.alertmanager])
        t0 = time.perf_counter()
        pusher.update(warnings, now, time.time())
        queued = time.perf_counter() - t0
        pusher.close(flush=120)
        elapsed = time.perf_counter() - t0
        print(
            f"push      {pusher.sent:,} alerts in {elapsed:.2f} s = {pusher.sent / elapsed:,.0f} "
            f"alerts/s; update() blocked the caller {queued * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
