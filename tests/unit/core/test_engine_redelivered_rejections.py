"""A redelivered event that was rejected is a duplicate, not a second rejection.

The engine judges an ``event_id`` once per ticket it knows: redelivery (a worker
restart, a producer retry) of an event rejected ``invalid_state``, ``ticket_closed``
or ``no_ticket`` (held events beyond their bound) counts in
``events_duplicate``, and is not counted (or dead-lettered) as rejected again.
"""

from __future__ import annotations

from typing import Any

from streams.core.engine import MAX_HELD_EVENTS, Engine
from streams.core.policy import DEFAULT_POLICY_SET
from tests.support import RecordingSink, created, event


def engine_with_rejects() -> tuple[Engine, RecordingSink, list[tuple[Any, str]]]:
    dead: list[tuple[Any, str]] = []
    sink = RecordingSink()
    engine = Engine(
        DEFAULT_POLICY_SET, sink, on_reject=lambda raw, reason: dead.append((raw, reason))
    )
    return engine, sink, dead


def test_a_redelivered_invalid_state_event_is_counted_once_as_rejected_then_as_duplicate() -> None:
    engine, sink, dead = engine_with_rejects()
    engine.ingest(created("t", "2026-11-23 09:00", event_id="c"))
    reopen = event("ticket.reopened", "t", "2026-11-23 09:05", event_id="r")  # not resolved
    assert engine.ingest(reopen).reason == "invalid_state"
    assert engine.ingest(reopen).reason is None  # the redelivery
    assert sink.count("events_rejected", ("invalid_state",)) == 1
    assert sink.count("events_duplicate") == 1
    assert [reason for _, reason in dead] == ["invalid_state"]  # dead-lettered once


def test_a_redelivered_event_of_a_closed_ticket_is_a_duplicate() -> None:
    engine, sink, dead = engine_with_rejects()
    engine.ingest(created("t", "2026-11-23 09:00", event_id="c"))
    engine.ingest(event("ticket.closed", "t", "2026-11-23 09:10", event_id="x"))
    late = event("message.customer", "t", "2026-11-23 09:20", event_id="late")
    assert engine.ingest(late).reason == "ticket_closed"
    assert engine.ingest(late).reason is None
    assert engine.ingest(late).reason is None
    # rejected once, then two redeliveries: 1 rejection, 2 duplicates
    assert sink.count("events_rejected", ("ticket_closed",)) == 1
    assert sink.count("events_duplicate") == 2
    assert len(dead) == 1


def test_a_redelivered_event_beyond_the_held_bound_is_a_duplicate() -> None:
    engine, sink, _ = engine_with_rejects()
    for i in range(MAX_HELD_EVENTS):
        engine.ingest(event("message.customer", "t", "2026-11-23 09:00", event_id=f"m{i}"))
    extra = event("message.customer", "t", "2026-11-23 09:01", event_id="extra")
    assert engine.ingest(extra).reason == "no_ticket"  # the 1,001st held event
    assert engine.ingest(extra).reason is None
    assert sink.count("events_rejected", ("no_ticket",)) == 1
    assert sink.count("events_duplicate") == 1


def test_the_remembered_rejection_survives_a_state_record() -> None:
    engine, _, _ = engine_with_rejects()
    engine.ingest(created("t", "2026-11-23 09:00", event_id="c"))
    reopen = event("ticket.reopened", "t", "2026-11-23 09:05", event_id="r")
    engine.ingest(reopen)
    restarted, sink2, _ = engine_with_rejects()
    restarted.load(engine.tickets["t"].to_state())
    assert restarted.ingest(reopen).reason is None
    assert sink2.count("events_duplicate") == 1
    assert sink2.count("events_rejected") == 0


def test_a_rejected_event_of_an_unknown_ticket_is_rejected_again() -> None:
    """Documented in docs/limits.md: nothing is kept for a ticket the engine does not know."""
    engine, sink, dead = engine_with_rejects()
    engine.expire(1_795_000_000.0 + 10 * 86400.0, retention=86400.0)  # horizon: day 9
    old = event("message.customer", "gone", 1_795_000_000.0, event_id="old")  # day 0
    assert engine.ingest(old).reason == "no_ticket"
    assert engine.ingest(old).reason == "no_ticket"
    assert sink.count("events_rejected", ("no_ticket",)) == 2
    assert sink.count("events_duplicate") == 0
    assert "gone" not in engine.tickets and len(dead) == 2
