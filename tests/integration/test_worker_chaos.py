"""Chaos: workers SIGKILLed and restarted at random moments while events stream in.

At the end the gauges summed over the workers equal ``replay`` of the same events
exactly, and every partition is read to its end. (Counters restart with each process;
Prometheus' ``increase()`` adds them up across restarts. The no-double-count property of
counters after a restart is shown by the SIGKILL test of the worker suite.)

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
    WorkerProcess,
    differences,
    kafka,
    replay,
    settle,
    simulated,
    summed,
    wait_for,
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
def test_gauges_equal_replay_after_random_sigkills_restarts_and_a_rebalance(
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

    def done() -> bool:
        healths = [w.health() or {} for w in live.values()]
        owned = sorted(p for h in healths for p in h.get("partitions", []))
        if owned != list(range(PARTITIONS)) or any(h.get("status") != "ok" for h in healths):
            return False
        if sum(lag(w) for w in live.values()) != 0:
            return False
        return not differences(summed(*(w.scrape() for w in live.values())), want, GAUGES)

    settle(done, 240)
    tails = "\n".join(w.tail() for w in live.values())
    wait_for(lambda: sum(lag(w) for w in live.values()) == 0, 5, tails)
    got = summed(*(w.scrape() for w in live.values()))
    assert differences(got, want, GAUGES) == [], tails
    assert kills >= 5 or KILLS < 5
