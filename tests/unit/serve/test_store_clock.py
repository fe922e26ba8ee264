"""``serve``'s clock: the wall clock minus the grace, journalled, repeated on restart.

Policy: one 24x7 policy, first_response 15m (no other target). A ticket is
created at 09:00:00 UTC on 2026-11-23, so its first-response deadline is 09:15:00.
The wall clock is a test double; the journal is real (tmp_path).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from streams.ingest_http.bodies import records_of
from streams.journal import Journal
from streams.serve.store import JournalStore
from tests.support import at, created, reply

POLICY: dict[str, Any] = {
    "policies": [
        {"name": "quick", "match": {}, "calendar": "always", "targets": {"first_response": "15m"}}
    ]
}
DEADLINE = at("2026-11-23 09:15")


class Wall:
    """A wall clock the test sets."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _store(directory: Path, grace: float, wall: Wall) -> tuple[JournalStore, Exporter]:
    exporter = Exporter()
    store = JournalStore(
        Journal(directory), Engine(parse_policy(POLICY), exporter), exporter, grace, wall
    )
    store.recover()
    return store, exporter


Deliveries = list[tuple[float, dict[str, Any]]]  # (wall time of the POST, event)


def _deliver(store: JournalStore, wall: Wall, deliveries: Deliveries) -> None:
    """Each event POSTed (appended) at its wall time, through the real flusher."""

    async def run() -> None:
        flusher = asyncio.create_task(store.run())
        await asyncio.sleep(0)  # the flusher is ready
        for when, raw in deliveries:
            wall.t = when
            await store.append(records_of([raw]))
        flusher.cancel()

    asyncio.run(run())


def _outcomes(exporter: Exporter) -> dict[str, float]:
    return {labels[-1]: n for labels, n in exporter.counters["sla_outcomes"].items() if n}


def _late_reply(made: float, delivered: float) -> Deliveries:
    return [
        (at("2026-11-23 09:00") + 2, created("t", "2026-11-23 09:00")),
        (delivered, reply("t", made)),
    ]


def test_a_reply_made_before_its_deadline_and_delivered_within_the_grace_is_met(
    tmp_path: Path,
) -> None:
    wall = Wall(at("2026-11-23 09:00"))
    store, exporter = _store(tmp_path / "grace", 60.0, wall)
    # made 10 s before the deadline, delivered 40 s after it (50 s late, grace 60 s)
    _deliver(store, wall, _late_reply(DEADLINE - 10, DEADLINE + 40))
    assert _outcomes(exporter) == {"met": 1}
    # the engine's clock is the wall minus the grace: 09:15:40 - 60 s = 09:14:40
    assert store.engine.now == DEADLINE + 40 - 60


def test_the_same_delivery_without_grace_is_a_false_breach(tmp_path: Path) -> None:
    wall = Wall(at("2026-11-23 09:00"))
    store, exporter = _store(tmp_path / "nograce", 0.0, wall)
    _deliver(store, wall, _late_reply(DEADLINE - 10, DEADLINE + 40))
    assert _outcomes(exporter) == {"breached": 1}


def test_a_reply_delivered_later_than_the_grace_finds_its_breach_counted(tmp_path: Path) -> None:
    wall = Wall(at("2026-11-23 09:00"))
    store, exporter = _store(tmp_path / "late", 60.0, wall)
    # delivered 09:16:10: the clock is at 09:15:10, past the deadline, before the reply
    _deliver(store, wall, _late_reply(DEADLINE - 10, DEADLINE + 70))
    assert _outcomes(exporter) == {"breached": 1}


def test_the_clock_follows_the_wall_minus_the_grace_and_never_goes_back(tmp_path: Path) -> None:
    wall = Wall(at("2026-11-23 09:00"))
    store, exporter = _store(tmp_path / "clock", 60.0, wall)
    _deliver(store, wall, [(at("2026-11-23 09:00") + 2, created("t", "2026-11-23 09:00"))])
    wall.t = DEADLINE + 59  # what the tick does: the clock at 09:14:59, before the deadline
    store.engine.advance(store.clock())
    assert _outcomes(exporter) == {}
    wall.t = DEADLINE + 61  # 09:15:01: past it, with no event of the ticket
    store.engine.advance(store.clock())
    assert _outcomes(exporter) == {"breached": 1}
    wall.t = DEADLINE  # the wall clock stepped back (NTP): the engine's clock does not
    assert store.clock() == DEADLINE + 1


def test_the_journal_holds_the_engine_clock_so_a_restart_repeats_the_outcome(
    tmp_path: Path,
) -> None:
    wall = Wall(at("2026-11-23 09:00"))
    store, exporter = _store(tmp_path / "data", 60.0, wall)
    _deliver(store, wall, _late_reply(DEADLINE - 10, DEADLINE + 40))
    store.journal.close()
    clocks = [
        float(payload) for tag, payload in Journal(tmp_path / "data").replay(0) if tag == b"C"
    ]
    # the two deliveries at 09:00:02 and 09:15:40, each minus 60 s
    assert clocks == [at("2026-11-23 09:00") + 2 - 60, DEADLINE + 40 - 60]
    # restarted with no grace: the journal's clock lines decide, not the new option
    wall.t = DEADLINE + 41
    again, again_exporter = _store(tmp_path / "data", 0.0, wall)
    assert _outcomes(again_exporter) == {"met": 1}
    assert again_exporter.counters["sla_outcomes"] == exporter.counters["sla_outcomes"]
    again.journal.close()
