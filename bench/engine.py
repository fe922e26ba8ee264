"""Engine throughput and memory per open ticket.

    python bench/engine.py [--events 1000000] [--seed 7]

Prints, for the same simulated events, in one run:
- baseline: a bare loop over the parsed events doing a dict look-up per event
  (the floor any engine pays in Python), and orjson decoding alone;
- the engine on already-parsed events (validate + apply + advance), events/s;
- the engine from JSON bytes (decode + validate + apply + advance), events/s;
- memory per open ticket (tracemalloc, over tickets created and left open).
"""

from __future__ import annotations

import argparse
import gc
import io
import time
import tracemalloc

import orjson

from streams.commands.replay import run_file
from streams.core.engine import Engine
from streams.core.events import parse_ts, validate
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.simulator import ContactCentre, SimConfig

START = 1_795_000_000.0  # 2026-11-18, a Wednesday


def generate(n: int, seed: int) -> list[dict]:
    centre = ContactCentre(SimConfig(seed=seed, arrivals_per_hour=2000.0), START)
    events = []
    for event in centre.events():
        events.append(event)
        if len(events) >= n:
            break
    return events


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} events/s"


def bench_throughput(events: list[dict], lines: list[bytes]) -> None:
    n = len(events)
    # ---- baselines
    t0 = time.perf_counter()
    table: dict[str, int] = {}
    for event in events:
        key = event["ticket_id"]
        table[key] = table.get(key, 0) + 1
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    decode = time.perf_counter() - t0
    print(f"baseline  dict look-up per event        {rate(n, bare)}")
    print(f"baseline  orjson.loads per event        {rate(n, decode)}")

    # ---- the engine on parsed events (validation + apply + clock), exporter attached
    parsed = [validate(event) for event in events]
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    t0 = time.perf_counter()
    for event in parsed:
        engine.advance(event.ts)
        engine.apply(event)
    applied = time.perf_counter() - t0
    print(
        f"engine    parsed events (apply+clock)   {rate(n, applied)}"
        f"   ratio to bare loop {bare / applied:.3f}"
    )

    # ---- validation alone and the full path from bytes
    t0 = time.perf_counter()
    for event in events:
        validate(event)
    validation = time.perf_counter() - t0
    print(f"engine    validation only               {rate(n, validation)}")
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    stream = io.BytesIO(b"\n".join(lines))
    t0 = time.perf_counter()
    run_file(stream, engine)  # exactly the replay path: decode, validate, clock, apply
    full = time.perf_counter() - t0
    print(
        f"engine    JSONL via replay (decode+validate+clock+apply) {rate(n, full)}"
        f"   ratio to orjson alone {decode / full:.3f}"
    )
    del engine, parsed


def bench_memory(tickets: int) -> None:
    """Bytes per open ticket: tickets created, half answered, none resolved."""
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    base = {"team": "billing", "channel": "email", "priority": "normal", "customer_id": "c1"}
    warm = [
        {
            "type": "ticket.created",
            "event_id": f"w{i}",
            "ticket_id": f"W{i}",
            "ts": "2026-11-18T10:00:00+00:00",
            **base,
        }
        for i in range(100)
    ]
    for event in warm:  # label children and caches exist before measuring
        engine.ingest(event)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ts = "2026-11-18T10:00:00+00:00"
    for i in range(tickets):
        tid = f"TCK-{i:08d}"
        engine.ingest(
            {"type": "ticket.created", "event_id": f"{tid}-1", "ticket_id": tid, "ts": ts, **base}
        )
        engine.ingest(
            {
                "type": "ticket.assigned",
                "event_id": f"{tid}-2",
                "ticket_id": tid,
                "ts": ts,
                "agent_id": "a1",
            }
        )
        if i % 2:
            engine.ingest(
                {
                    "type": "message.agent",
                    "event_id": f"{tid}-3",
                    "ticket_id": tid,
                    "ts": ts,
                    "agent_id": "a1",
                }
            )
            engine.ingest(
                {"type": "message.customer", "event_id": f"{tid}-4", "ticket_id": tid, "ts": ts}
            )
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per = (after - before) / tickets
    print(
        f"memory    {tickets:,} open tickets (3 events each on average, clocks running): "
        f"{per:,.0f} bytes per open ticket (event payloads not kept)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    events = generate(args.events, args.seed)
    lines = [orjson.dumps(event) for event in events]
    span = parse_ts(events[-1]["ts"]) - parse_ts(events[0]["ts"])
    print(
        f"simulated {len(events):,} events over {span / 86400:.1f} simulated days "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    bench_throughput(events, lines)
    del events, lines
    gc.collect()
    bench_memory(args.tickets)


if __name__ == "__main__":
    main()
