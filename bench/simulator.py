"""Simulator throughput: events per second of CPU time.

    python bench/simulator.py [--events 1000000] [--seed 7]

Prints, in one run, for the default load (120 tickets/h), a busy centre (2 000/h) and a flat
3 600/h (the largest heap of open tickets):
- baseline: a loop drawing one ``random.random()`` and building one event-sized dict per
  event (the floor any Python generator of dicts pays);
- the simulator, events/s, and its ratio to that baseline.
CPU time (``time.process_time``), so a busy machine slows it less than wall time.
"""

from __future__ import annotations

import argparse
import random
import time

from streams.simulator import ContactCentre, SimConfig

START = 1_795_000_000.0  # 2026-11-18, a Wednesday


def baseline(n: int) -> float:
    rnd = random.Random(1).random
    t0 = time.process_time()
    for k in range(n):
        _ = {"event_id": k, "type": "message.customer", "ticket_id": k, "ts": rnd()}
    return time.process_time() - t0


def simulate(n: int, config: SimConfig) -> float:
    centre = ContactCentre(config, START)
    t0 = time.process_time()
    for count, _ in enumerate(centre.events(), 1):
        if count >= n:
            break
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.events
    base = baseline(n)
    print(f"baseline  random() + dict per event      {n / base:>12,.0f} events/s")
    for label, config in (
        ("120/h", SimConfig(seed=args.seed)),
        ("2 000/h", SimConfig(seed=args.seed, arrivals_per_hour=2000.0)),
        ("flat 3 600/h", SimConfig(seed=args.seed, arrivals_per_hour=3600.0, flat_arrivals=True)),
    ):
        spent = simulate(n, config)
        print(
            f"simulator {label:<13}                {n / spent:>12,.0f} events/s"
            f"   ratio to baseline {base / spent:.3f}"
        )


if __name__ == "__main__":
    main()
