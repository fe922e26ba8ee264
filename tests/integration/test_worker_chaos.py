"""Chaos: workers SIGKILLed and restarted at random moments while events stream in.

At the end, summed over the workers, every gauge (``/metrics``) and every counter and
histogram bucket, count and sum of the partitions' tallies (``/metrics/partition/<p>``, kept
in the changelog with the tickets) equal ``replay`` of the same events exactly, each
partition is served by one worker and read to its end. (A worker's ``/metrics`` counters
restart with it, as any exporter's; Prometheus' ``increase()`` adds them up across
restarts, shown by the SIGKILL test of the worker suite. The event-lag histogram is the
process's wall clock and is not in the tallies.)

Size: ``SERVICEPULSE_CHAOS_EVENTS`` (default 200,000), kills ``SERVICEPULSE_CHAOS_KILLS``
(default 5), seed ``SERVICEPULSE_CHAOS_SEED``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_worker import (
    GAUGES,
    PARTITIONS,
    Kafka,
    Samples,
    WorkerProcess,
    differences,
    kafka,
    replay,
    settle,
    simulated,
    summed,
    wait_for,
    without_gauges,
    workers,
    write,
)

__all__ = ["kafka", "workers"]  # fixtures used below

EVENTS = int(os.environ.get("SERVICEPULSE_CHAOS_EVENTS", "200000"))
KILLS = int(os.environ.get("SERVICEPULSE_CHAOS_KILLS", "5"))
SEED = int(os.environ.get("SERVICEPULSE_CHAOS_SEED", "11"))


def lag(worker: WorkerProcess) -> float:
    scrape = worker.scrape()
    return sum(v for (name, _), v in scrape.items() if name == "servicepulse_worker_consumer_lag")


@pytest.mark.kafka
@pytest.mark.timeout(1800)
def tallies(live: dict[str, WorkerProcess]) -> tuple[list[int], Samples]:
    """The partitions served and their tallies summed over the workers."""
    served: list[int] = []
    scrapes: list[Samples] = []
    for worker in live.values():
        for partition, scrape in worker.tallies().items():
            served.append(partition)
            scrapes.append(scrape)
    return sorted(served), summed(*scrapes)


def test_every_metric_equals_replay_after_random_sigkills_restarts_and_a_rebalance(
    kafka: Kafka, workers: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    per_hour = 3000.0
    hours = max(1.0, EVENTS / (per_hour * 6.5))  # ~6.5 events a contact at 3,000/h
    lines = simulated(seed=SEED, hours=hours, per_hour=per_hour)
    path = write(tmp_path / "events.jsonl", lines)
    options = ("--clock", "event", "--store", "memory", "--session-timeout", "6")
    live = {"a": workers("a", *options), "b": workers("b", *options)}
    for worker in live.values():
        worker.wait_ready(120)
    producing = threading.Thread(target=kafka.produce, args=(lines, 0.01))
    producing.start()
    kills = 0
    try:
        while kills < KILLS:
            time.sleep(rng.uniform(1.0, 6.0))
            slot = rng.choice(sorted(live))
            live[slot].kill()  # SIGKILL
            kills += 1
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.0, 4.0))  # the survivor may take over first
            live[slot] = workers(f"{slot}{kills}", *options)
        # A rebalance among live workers: a third joins, then leaves cleanly.
        extra = workers("c", *options)
        extra.wait_ready(120)
        time.sleep(rng.uniform(1.0, 3.0))
        extra.stop()
    finally:
        producing.join()
    want = replay(path)
    counted = tuple(sorted({name for name, _ in without_gauges(want)}))  # counters, histograms
    assert any(name.startswith("servicepulse_sla_outcomes") for name in counted)

    def done() -> bool:
        healths = [w.health() or {} for w in live.values()]
        owned = sorted(p for h in healths for p in h.get("partitions", []))
        if owned != list(range(PARTITIONS)) or any(h.get("status") != "ok" for h in healths):
            return False
        if sum(lag(w) for w in live.values()) != 0:
            return False
        if differences(summed(*(w.scrape() for w in live.values())), want, GAUGES):
            return False
        served, counts = tallies(live)
        return served == list(range(PARTITIONS)) and not differences(counts, want, counted)

    settle(done, 240)
    tails = "\n".join(w.tail() for w in live.values())
    wait_for(lambda: sum(lag(w) for w in live.values()) == 0, 5, tails)
    got = summed(*(w.scrape() for w in live.values()))
    assert differences(got, want, GAUGES) == [], tails
    served, counts = tallies(live)
    assert served == list(range(PARTITIONS)), tails
    assert differences(counts, want, counted) == [], tails
    created = sum(v for (n, _), v in counts.items() if n == "servicepulse_tickets_created_total")
    assert created > EVENTS / 10  # ~6.5 events a ticket: the figures are not empty
    assert kills >= 5 or KILLS < 5
