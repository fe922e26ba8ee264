"""Soak: memory stays flat under an endless stream.

    python bench/soak.py [--events 2000000] [--retention 86400] [--seed 3]

Runs simulated contact-centre events (tickets opening and closing, with
surveys, transfers and QA reviews) through the worker's state path, in one
process, the way the worker does it per event:

- ``Engine.ingest`` of the JSON bytes on the event clock,
- ``Ticket.to_state`` of the touched ticket, encoded with orjson (the
  changelog record the worker writes),
- ``Engine.expire`` every simulated hour (forgetting closed, abandoned,
  resolved-never-closed tickets and orphans after ``--retention``),
- a scrape (the exposition) every 100,000 events.

Prints the resident set size (VmRSS) every 250,000 events, and at the end the
ratio of RSS at the end to RSS at 500,000 events (the goal: within 10 %).
The retention is one simulated day by default so that the 500,000-event
mark (about 2.7 simulated days at 2,000 contacts/hour) is past the first
expiry and compares steady state with steady state.
"""

from __future__ import annotations

import argparse
import gc
import time

import orjson

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.simulator import ContactCentre, SimConfig

START = 1_795_000_000.0  # 2026-11-18


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--retention", type=float, default=86400.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--mark", type=int, default=500_000, help="the baseline point")
    args = parser.parse_args()

    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    exporter.watch(engine, now=lambda: engine.now)
    centre = ContactCentre(SimConfig(seed=args.seed, arrivals_per_hour=2000.0), START)
    events = centre.events()
    next_expiry = START + 3600
    state_bytes = 0
    forgotten = 0
    baseline = None
    started = time.perf_counter()
    print(f"{'events':>10} {'RSS MiB':>8} {'tickets':>8} {'open':>7} {'heap':>7} {'days':>5}")
    for n in range(1, args.events + 1):
        event = next(events)
        intake = engine.ingest(orjson.dumps(event), event_clock=True)
        ticket = engine.tickets.get(event["ticket_id"])
        if ticket is not None and intake.event is not None:
            state_bytes += len(orjson.dumps(ticket.to_state()))
        if engine.now >= next_expiry:
            forgotten += len(engine.expire(engine.now, retention=args.retention))
            next_expiry = engine.now + 3600
        if n % 100_000 == 0:
            exporter.exposition()
        if n % 250_000 == 0 or n == args.mark:
            gc.collect()
            rss = rss_mib()
            if n == args.mark:
                baseline = rss
            days = (engine.now - START) / 86400
            print(
                f"{n:>10,} {rss:>8.1f} {len(engine.tickets):>8,} {len(engine.open):>7,} "
                f"{len(engine._deadlines):>7,} {days:>5.1f}",
                flush=True,
            )
    gc.collect()
    final = rss_mib()
    elapsed = time.perf_counter() - started
    print(
        f"{args.events:,} events in {elapsed:.0f}s ({args.events / elapsed:,.0f} events/s), "
        f"{forgotten:,} tickets forgotten, {state_bytes / 2**20:,.0f} MiB of state records encoded"
    )
    if baseline is not None:
        print(
            f"RSS at {args.mark:,} events {baseline:.1f} MiB, at the end {final:.1f} MiB: "
            f"ratio {final / baseline:.3f} (goal <= 1.10)"
        )


if __name__ == "__main__":
    main()
