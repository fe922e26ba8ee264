"""The engine under hostile or unlucky input."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from streams.core.engine import MAX_HELD_EVENTS, Engine
from streams.core.policy import parse_policy
from streams.core.ticket import MAX_SEEN_IDS, Ticket
from tests.support import RecordingSink, at, created, event, reply

DAY = 86400.0
POLICY: dict[str, Any] = {
    "policies": [
        {"name": "p", "match": {}, "targets": {"first_response": "1h", "resolution": "1d"}}
    ]
}
L = ("billing", "email", "normal", "standard")


def engine_with(policy: dict[str, Any] = POLICY) -> tuple[Engine, RecordingSink]:
    engine = Engine(parse_policy(policy), sink := RecordingSink())
    return engine, sink


def test_a_failing_handler_leaves_no_half_applied_state_and_the_stream_goes_on() -> None:
    engine, sink = engine_with()
    engine.ingest(created("t", "2026-11-23 09:00"), event_clock=True)
    real = engine._handlers["message.agent"]

    def half_then_fail(ticket: Ticket, ev: Any) -> str | None:
        real(ticket, ev)  # answers the ticket, stops its clock, observes the response time
        raise OverflowError("date value out of range")

    engine._handlers["message.agent"] = half_then_fail
    assert engine.ingest(reply("t", "2026-11-23 09:10"), event_clock=True).reason == "engine_error"
    ticket = engine.tickets["t"]
    assert not ticket.answered and ticket.public_replies == 0
    assert ticket.clocks[0] is not None and ticket.clocks[0].running
    assert sink.observed("first_response_seconds") == []
    assert sink.count("events_processed", ("message.agent",)) == 0
    assert sink.count("events_rejected", ("engine_error",)) == 1
    engine._handlers["message.agent"] = real
    assert engine.ingest(reply("t", "2026-11-23 09:20"), event_clock=True).reason is None
    assert sink.observed("first_response_seconds") == [(L, 1200.0)]
    engine.gauges(at("2026-11-23 10:00"))  # the state is whole: gauges derive fine


def test_one_event_decades_ahead_does_not_move_the_clock_for_everyone() -> None:
    engine, sink = engine_with()
    engine.ingest(created("a", "2026-11-23 09:00"), event_clock=True)
    future = created("b", "2026-11-23 09:00")
    future["ts"] = "2090-01-01T00:00:00+00:00"
    assert engine.ingest(future, event_clock=True).reason is None  # applied to its own ticket
    assert engine.now == at("2026-11-23 09:00")
    engine.ingest(reply("a", "2026-11-23 09:30"), event_clock=True)
    assert sink.outcomes() == {("first_response", "met"): 1}  # no false breach for a


def test_a_real_gap_is_crossed_once_a_second_ticket_confirms_it() -> None:
    engine, sink = engine_with()
    engine.ingest(created("a", "2026-11-20 09:00"), event_clock=True)  # Friday
    engine.ingest(created("b", "2026-11-23 09:00"), event_clock=True)  # Monday: 3 days ahead
    assert engine.now == at("2026-11-20 09:00")
    engine.ingest(created("c", "2026-11-23 09:01"), event_clock=True)  # confirmed by c
    assert engine.now == at("2026-11-23 09:00")
    # a's first response (1h, 24x7) and resolution (1d) breached when the clock crossed
    assert sink.outcomes() == {("first_response", "breached"): 1, ("resolution", "breached"): 1}


def test_teams_beyond_max_teams_are_counted_as_other() -> None:
    engine, sink = engine_with({**POLICY, "max_teams": 2})
    for i, team in enumerate(["a", "b", "c", "d", "a"]):
        engine.ingest(created(f"t{i}", "2026-11-23 09:00", team=team))
    assert {t.team for t in engine.tickets.values()} == {"a", "b", "other"}
    assert sink.count("tickets_created", ("other", "email", "normal", "standard")) == 2
    assert sink.count("unlisted_team_events") == 2


def test_teams_list_maps_unlisted_teams_and_transfers_to_other() -> None:
    engine, sink = engine_with({**POLICY, "teams": ["billing", "tech"]})
    engine.ingest(created("t", "2026-11-23 09:00", team="billing"))
    engine.ingest(
        event("ticket.transferred", "t", "2026-11-23 09:01", from_team="billing", to_team="x" * 60)
    )
    engine.ingest(
        event("ticket.transferred", "t", "2026-11-23 09:02", from_team="y", to_team="tech")
    )
    assert sink.count("transfers", ("billing", "other")) == 1
    assert sink.count("transfers", ("other", "tech")) == 1  # y maps to other, the ticket's team
    assert sink.count("unlisted_team_events") == 1 + 0  # only the mapped to_team counts
    assert engine.tickets["t"].team == "tech"


def test_a_ticket_remembers_a_bounded_window_of_event_ids() -> None:
    engine, sink = engine_with()
    engine.ingest(created("t", "2026-11-23 09:00"))
    n = MAX_SEEN_IDS + 1000
    for i in range(n):
        engine.ingest(event("message.customer", "t", at("2026-11-23 09:00") + i, event_id=f"m{i}"))
    ticket = engine.tickets["t"]
    assert ticket.remembered == MAX_SEEN_IDS
    assert len(orjson.dumps(ticket.to_state())) < 1024 * 1024
    engine.ingest(event("message.customer", "t", "2026-11-23 09:00", event_id=f"m{n - 1}"))
    assert sink.count("events_duplicate") == 1  # a recent repeat is still recognised
    assert sink.count("events_processed", ("message.customer",)) == n


def test_held_events_of_one_ticket_are_capped_and_the_rest_rejected_no_ticket() -> None:
    engine, sink = engine_with()
    for i in range(MAX_HELD_EVENTS + 5):
        engine.ingest(event("message.customer", "o", "2026-11-23 09:00", event_id=f"h{i}"))
    assert len(engine.tickets["o"].held or ()) == MAX_HELD_EVENTS
    assert sink.count("events_rejected", ("no_ticket",)) == 5
    assert len(orjson.dumps(engine.tickets["o"].to_state())) < 1024 * 1024


def test_the_deadline_heap_is_compacted() -> None:
    engine, _ = engine_with()
    base = at("2026-11-23 09:00")
    for t in range(200):
        tid = f"t{t}"
        engine.ingest(created(tid, base))
        for k in range(50):  # every pause/resume leaves a stale entry behind
            status = "pending" if k % 2 == 0 else "open"
            engine.ingest(event("ticket.status", tid, base + k + 1, status=status))
        engine.ingest(event("ticket.closed", tid, base + 100))
    live = sum(1 for entry in engine._deadlines.heap if engine._live(entry))
    assert live == 0
    assert len(engine._deadlines) <= 2048  # without compaction: 200 x 27 = 5,400 entries


def test_expire_forgets_resolved_tickets_never_closed_after_the_retention() -> None:
    engine, _sink = engine_with()
    engine.ingest(created("r", "2026-11-23 09:00"))
    engine.ingest(event("ticket.resolved", "r", "2026-11-23 10:00"))
    assert engine.expire(at("2026-11-23 10:00") + DAY + 1, retention=DAY) == ["r"]
    assert engine.tickets == {}


def test_load_reports_the_label_set_of_a_loaded_ticket_for_priming() -> None:
    # the exporter primes the outcome series at 0 from this fact (tests/unit/export)
    engine, _ = engine_with()
    engine.ingest(created("t", "2026-11-23 09:00"))
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    fresh, sink = engine_with()
    fresh.load(state)
    policy = fresh.tickets["t"].policy
    assert sink.labels == [((*L, policy.name), tuple(policy.targets))]
    assert not [k for k in sink.counts if k[0] == "sla_outcomes"]


def test_a_paused_clock_is_not_at_risk() -> None:
    engine, _ = engine_with()
    engine.ingest(created("t", "2026-11-23 09:00"))
    engine.ingest(event("ticket.status", "t", "2026-11-23 09:55", status="pending"))  # 55/60 min
    gauges = engine.gauges(at("2026-11-23 10:30"))
    assert dict(gauges.at_risk) == {}


def test_a_renamed_policy_maps_open_tickets_by_match_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, _ = engine_with()
    engine.ingest(created("t", "2026-11-23 09:00"))
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    renamed = {"policies": [{**POLICY["policies"][0], "name": "renamed"}]}
    fresh, _ = engine_with(renamed)
    with caplog.at_level(logging.WARNING):
        ticket = fresh.load(state)
    assert ticket.policy.name == "renamed"
    assert "no longer exists" in caplog.text


def test_loaded_tickets_take_team_places_first_and_orphans_take_none() -> None:
    source, _ = engine_with()
    source.ingest(created("a", "2026-11-23 09:00", team="alpha"))
    source.ingest(reply("o", "2026-11-23 09:01"))  # an orphan: no team yet
    states = [orjson.loads(orjson.dumps(t.to_state())) for t in source.tickets.values()]
    fresh, sink = engine_with({**POLICY, "max_teams": 2})
    for state in states:
        fresh.load(state)
    fresh.ingest(created("b", "2026-11-23 09:02", team="beta"))
    fresh.ingest(created("c", "2026-11-23 09:03", team="gamma"))
    assert [fresh.tickets[t].team for t in "abc"] == ["alpha", "beta", "other"]
    assert sink.count("unlisted_team_events") == 1
