"""ticket.updated re-matches the policy; messages that overtake a reopen count as in event order."""

from __future__ import annotations

import orjson
import pytest

from streams.core.engine import Engine
from streams.core.events import Rejected, validate
from streams.core.policy import parse_policy
from streams.core.ticket import Ticket
from tests.support import RecordingSink, at, created, event, reply

# 24x7 policies: urgent tickets 10 min first response / 1 h resolution, others 30 min / 4 h
POLICY = {
    "policies": [
        {
            "name": "urgent",
            "match": {"priority": "urgent"},
            "targets": {"first_response": "10m", "next_reply": "10m", "resolution": "1h"},
        },
        {
            "name": "standard",
            "match": {},
            "targets": {"first_response": "30m", "next_reply": "20m", "resolution": "4h"},
        },
    ]
}
NORMAL = ("billing", "email", "normal", "standard")
URGENT = ("billing", "email", "urgent", "standard")


def run(*raws: dict, until: str | None = None) -> tuple[Engine, RecordingSink, list]:
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    reasons = [engine.ingest(raw, event_clock=True).reason for raw in raws]
    if until is not None:
        engine.advance(at(until))
    return engine, sink, reasons


def outcomes(sink: RecordingSink) -> dict[tuple[str, str, str], float]:
    """(policy, target, outcome) -> count."""
    found: dict[tuple[str, str, str], float] = {}
    for (metric, labels), n in sink.counts.items():
        if metric == "sla_outcomes" and n:
            key = (labels[4], labels[5], labels[6])
            found[key] = found.get(key, 0) + n
    return found


def test_ticket_updated_needs_one_known_field() -> None:
    base = event("ticket.updated", "t", "2026-11-23 09:00")
    with pytest.raises(Rejected) as empty:
        validate(dict(base))
    assert empty.value.reason == "missing_field"
    with pytest.raises(Rejected) as wrong:
        validate({**base, "priority": "critical"})
    assert wrong.value.reason == "invalid_value"
    assert validate({**base, "category": "complaint"}).type == "ticket.updated"


def test_raising_the_priority_keeps_elapsed_time_and_takes_the_new_target() -> None:
    # created 09:00 under "standard" (30 min first response); at 09:05 raised to urgent
    # (10 min): 5 min elapsed, so the deadline is 09:10; the reply at 09:08 is met (8 min)
    _engine, sink, reasons = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.updated", "t", "2026-11-23 09:05", priority="urgent"),
        reply("t", "2026-11-23 09:08"),
    )
    assert reasons == [None, None, None]
    assert sink.observed("first_response_seconds") == [(URGENT, 480.0)]
    assert outcomes(sink) == {("urgent", "first_response", "met"): 1}


def test_a_raised_priority_breaches_at_the_new_deadline() -> None:
    # urgent from 09:05 with 5 min elapsed: first response due 09:10, resolution 10:00
    _engine, sink, _ = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.updated", "t", "2026-11-23 09:05", priority="urgent"),
        until="2026-11-23 09:11",
    )
    assert outcomes(sink) == {("urgent", "first_response", "breached"): 1}
    assert sink.count("tickets_created", NORMAL) == 1  # counted under the value at the time


def test_a_clock_already_past_the_new_target_breaches_at_once() -> None:
    # 20 min elapsed at the update, the urgent target is 10 min: breached at 09:20
    _engine, sink, _ = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.updated", "t", "2026-11-23 09:20", priority="urgent"),
    )
    assert outcomes(sink) == {("urgent", "first_response", "breached"): 1}


def test_lowering_the_priority_of_a_paused_ticket_moves_no_clock() -> None:
    # urgent, pending 09:02-09:30 (2 min counted), lowered to normal at 09:10: 30 min target,
    # resumed at 09:30, reply at 09:50: 2 + 20 = 22 min, met under "standard"
    _engine, sink, _ = run(
        created("t", "2026-11-23 09:00", priority="urgent"),
        event("ticket.status", "t", "2026-11-23 09:02", status="pending"),
        event("ticket.updated", "t", "2026-11-23 09:10", priority="normal"),
        event("ticket.status", "t", "2026-11-23 09:30", status="open"),
        reply("t", "2026-11-23 09:50"),
    )
    assert sink.observed("first_response_seconds") == [(NORMAL, 1320.0)]
    assert outcomes(sink) == {("standard", "first_response", "met"): 1}


def test_becoming_a_complaint_counts_one_complaint() -> None:
    _engine, sink, _ = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.updated", "t", "2026-11-23 09:01", category="complaint"),
        event("ticket.updated", "t", "2026-11-23 09:02", category="complaint"),
    )
    assert sink.count("complaints") == 1


def reopen_story(order: list[int]) -> RecordingSink:
    """Resolved 09:10; the customer writes 09:20 and reopens it 09:20; the agent answers 09:32."""
    events = [
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 09:10"),
        event("message.customer", "t", "2026-11-23 09:20"),
        event("ticket.reopened", "t", "2026-11-23 09:20"),
        reply("t", "2026-11-23 09:32"),
    ]
    _engine, sink, reasons = run(*[events[i] for i in order])
    assert reasons == [None] * len(order)
    return sink


@pytest.mark.parametrize(
    "order",
    [
        [0, 1, 2, 3, 4, 5],  # event order
        [0, 1, 2, 4, 3, 5],  # the reopen first
        [0, 1, 2, 5, 3, 4],  # the agent's answer, then the comment, then the reopen
        [0, 1, 2, 3, 5, 4],  # the comment and the answer before the reopen
    ],
)
def test_a_comment_that_overtakes_its_reopen_still_starts_the_next_reply_clock(
    order: list[int],
) -> None:
    sink = reopen_story(order)
    # next reply 09:20 -> 09:32 = 12 min against a 20 min target: met
    assert sink.observed("next_reply_seconds") == [(NORMAL, 720.0)]
    assert outcomes(sink)[("standard", "next_reply", "met")] == 1


def test_a_late_message_written_before_the_resolution_starts_no_clock_on_reopen() -> None:
    _engine, sink, _ = run(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 09:10"),
        event("message.customer", "t", "2026-11-23 09:08"),  # delivered late
        event("ticket.reopened", "t", "2026-11-23 09:30"),
    )
    assert sink.observed("next_reply_seconds") == []
    assert ("standard", "next_reply", "met") not in outcomes(sink)


def test_messages_waiting_for_a_reopen_survive_the_state_record() -> None:
    engine, _sink, _ = run(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 09:10"),
        event("message.customer", "t", "2026-11-23 09:20"),
    )
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    ticket = Ticket.from_state(state, lambda name: engine.tickets["t"].policy)
    assert ticket.resolved_ts == at("2026-11-23 09:10")
    assert ticket.since_resolved == [(at("2026-11-23 09:20"), True)]
