"""The oldest unanswered contact: open, no public agent response, not paused (pending/on hold)."""

from __future__ import annotations

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.support import RecordingSink, at, created, event, reply


def engine_with(*events: dict) -> Engine:
    engine = Engine(parse_policy({"policies": []}), RecordingSink())
    for raw in events:
        assert engine.ingest(raw).reason is None, raw
    return engine


def test_paused_and_answered_tickets_beside_it_are_not_the_oldest_unanswered() -> None:
    engine = engine_with(
        created("paused", "2026-11-23 09:00"),
        event("ticket.status", "paused", "2026-11-23 09:01", status="pending"),
        created("answered", "2026-11-23 09:05"),
        reply("answered", "2026-11-23 09:06"),
        created("waiting", "2026-11-23 09:10"),
        created("newer", "2026-11-23 09:20"),
    )
    gauges = engine.gauges(at("2026-11-23 09:30"))
    assert gauges.oldest_unanswered_created == {"billing": at("2026-11-23 09:10")}  # 20 min
    assert gauges.oldest_created == {"billing": at("2026-11-23 09:00")}  # the contract's gauge
    assert gauges.unanswered == {"billing": 3}  # the contract's count includes the paused one


def test_a_resumed_ticket_is_unanswered_again_and_an_answer_removes_it() -> None:
    engine = engine_with(
        created("a", "2026-11-23 09:00"),
        event("ticket.status", "a", "2026-11-23 09:01", status="on_hold"),
        created("b", "2026-11-23 09:10"),
        event("ticket.status", "a", "2026-11-23 09:15", status="open"),
    )
    assert engine.gauges(at("2026-11-23 09:30")).oldest_unanswered_created == {
        "billing": at("2026-11-23 09:00")
    }
    engine.ingest(reply("a", "2026-11-23 09:31"))
    engine.ingest(reply("b", "2026-11-23 09:32"))
    assert engine.gauges(at("2026-11-23 09:40")).oldest_unanswered_created == {}


def test_a_reopened_ticket_that_was_answered_does_not_count() -> None:
    engine = engine_with(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 09:06"),
        event("ticket.reopened", "t", "2026-11-23 09:07"),
        created("u", "2026-11-23 09:08", team="technical"),
    )
    assert engine.gauges(at("2026-11-23 09:10")).oldest_unanswered_created == {
        "technical": at("2026-11-23 09:08")
    }
