"""Engine paths found untested by mutation testing (docs/mutation.md), with hand-computed values.

Policy (POLICY below), at_risk default 0.8, all on the 24x7 calendar:
- phone-complaints (channel phone, category complaint): first_response 5m;
- inquiries (category inquiry): first_response 10m, next_reply 20m, resolution 1h;
- first-only (team "quick"): first_response 15m, nothing else measured;
- default: first_response 30m, next_reply 30m, resolution 4h.
"""

from __future__ import annotations

from typing import Any

import orjson

from streams.core.engine import Engine
from streams.core.events import parse
from streams.core.policy import parse_policy
from tests.support import RecordingSink, at, created, event, reply

POLICY: dict[str, Any] = {
    "policies": [
        {
            "name": "phone-complaints",
            "match": {"channel": "phone", "category": "complaint"},
            "calendar": "always",
            "targets": {"first_response": "5m"},
        },
        {
            "name": "inquiries",
            "match": {"category": "inquiry", "team": "billing"},
            "calendar": "always",
            "targets": {"first_response": "10m", "next_reply": "20m", "resolution": "1h"},
        },
        {
            "name": "first-only",
            "match": {"team": "quick"},
            "calendar": "always",
            "targets": {"first_response": "15m"},
        },
        {
            "name": "default",
            "match": {},
            "calendar": "always",
            "targets": {"first_response": "30m", "next_reply": "30m", "resolution": "4h"},
        },
    ]
}
L = ("billing", "email", "normal", "standard")


def new_engine(dead: list[tuple[Any, str]] | None = None) -> tuple[Engine, RecordingSink]:
    sink = RecordingSink()
    hook = None if dead is None else (lambda raw, reason: dead.append((raw, reason)))
    return Engine(parse_policy(POLICY), sink, on_reject=hook), sink


def replay(*events: dict[str, Any], until: str | None = None) -> tuple[Engine, RecordingSink]:
    engine, sink = new_engine()
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw
    if until is not None:
        engine.advance(at(until))
    return engine, sink


def policy_of(engine: Engine, ticket: str) -> str:
    return engine.tickets[ticket].policy.name


def test_policies_match_on_channel_and_on_the_default_category() -> None:
    engine, _ = replay(
        created("p", "2026-11-23 09:00", channel="phone", category="complaint", team="x"),
        created("e", "2026-11-23 09:00", channel="email", category="complaint", team="x"),
        created("i", "2026-11-23 09:00"),  # billing, no category: an inquiry
        created("r", "2026-11-23 09:00", category="request"),
    )
    assert policy_of(engine, "p") == "phone-complaints"
    assert policy_of(engine, "e") == "default"
    assert policy_of(engine, "i") == "inquiries"
    assert policy_of(engine, "r") == "default"


def test_only_complaints_are_counted_as_complaints() -> None:
    _, sink = replay(
        created("c", "2026-11-23 09:00", category="complaint"),
        created("i", "2026-11-23 09:00"),
        created("n", "2026-11-23 09:00", category="incident"),
    )
    assert sink.count("complaints") == 1
    assert sink.count("complaints", ("billing", "email")) == 1


def test_ingest_returns_the_validated_event() -> None:
    engine, _ = new_engine()
    intake = engine.ingest(created("t", "2026-11-23 09:00", event_id="c-1"))
    assert intake.reason is None
    assert intake.event is not None and intake.event.event_id == "c-1"
    assert intake.event.ts == at("2026-11-23 09:00")


def test_the_event_clock_moves_with_ingest_and_never_back() -> None:
    engine, _ = new_engine()
    engine.ingest(created("t", "2026-11-23 09:10"), event_clock=True)
    assert engine.now == at("2026-11-23 09:10")
    engine.ingest(created("u", "2026-11-23 09:00"), event_clock=True)
    assert engine.now == at("2026-11-23 09:10")
    engine.ingest(created("v", "2026-11-23 09:30"))  # without the event clock: unchanged
    assert engine.now == at("2026-11-23 09:10")


def test_state_rejections_reach_the_dead_letter_hook_as_the_raw_bytes() -> None:
    dead: list[tuple[Any, str]] = []
    engine, _ = new_engine(dead)
    engine.ingest(orjson.dumps(created("t", "2026-11-23 09:00")))
    engine.ingest(orjson.dumps(event("ticket.closed", "t", "2026-11-23 09:01")))
    late = orjson.dumps(reply("t", "2026-11-23 09:02"))
    engine.ingest(late)
    abandon = orjson.dumps(event("contact.abandoned", "u", "2026-11-23 09:03"))
    engine.ingest(orjson.dumps(created("u", "2026-11-23 09:00")))
    engine.ingest(orjson.dumps(reply("u", "2026-11-23 09:01")))
    engine.ingest(abandon)  # answered: too late to abandon
    assert dead == [(late, "ticket_closed"), (abandon, "invalid_state")]


def test_a_repeat_of_an_older_event_is_recognised_among_several() -> None:
    engine, sink = new_engine()
    first = created("t", "2026-11-23 09:00")
    second = reply("t", "2026-11-23 09:05", work_seconds=10)
    third = event("message.customer", "t", "2026-11-23 09:06")
    for raw in (first, second, third, dict(first), dict(second)):
        assert engine.ingest(raw).reason is None
    assert sink.count("events_duplicate") == 2
    assert sink.count("tickets_created") == 1
    assert sink.count("agent_work_seconds") == 10


def test_held_events_after_a_held_close_are_rejected_and_the_rest_applied() -> None:
    dead: list[tuple[Any, str]] = []
    engine, sink = new_engine(dead)
    reply_1 = reply("t", "2026-11-23 09:05")
    resolved_1 = event("ticket.resolved", "t", "2026-11-23 09:06")
    resolved_2 = event("ticket.resolved", "t", "2026-11-23 09:07")  # invalid_state
    closed = event("ticket.closed", "t", "2026-11-23 09:10")
    after_1 = reply("t", "2026-11-23 09:20")
    after_2 = event("message.customer", "t", "2026-11-23 09:21")
    for raw in (after_2, closed, after_1, resolved_2, resolved_1, reply_1):
        assert engine.ingest(raw).reason is None  # all held
    assert engine.gauges(at("2026-11-23 09:30")).orphan_events == 6
    assert engine.ingest(created("t", "2026-11-23 09:00")).reason is None
    assert engine.gauges(at("2026-11-23 09:30")).orphan_events == 0
    # held events reach the hook as the raw text they were kept as (docs/limits.md)
    assert [(orjson.loads(raw), reason) for raw, reason in dead] == [
        (resolved_2, "invalid_state"),
        (after_1, "ticket_closed"),
        (after_2, "ticket_closed"),
    ]
    assert sink.count("tickets_resolved", L) == 1
    assert sink.observed("first_response_seconds") == [(L, 300.0)]


def test_a_stale_deadline_does_not_hide_the_due_ones_behind_it() -> None:
    # a: deadline 09:10, answered at 09:05 (its heap entry is stale); b: deadline 09:11
    engine, sink = replay(
        created("a", "2026-11-23 09:00"),
        created("b", "2026-11-23 09:01"),
        reply("a", "2026-11-23 09:05"),
    )
    assert engine.advance(at("2026-11-23 09:30")) == ["b"]
    assert sink.outcomes()[("first_response", "breached")] == 1
    # paused clocks leave stale entries too: c paused, d due after it
    engine, sink = replay(
        created("c", "2026-11-23 09:00"),
        created("d", "2026-11-23 09:02"),
        event("ticket.status", "c", "2026-11-23 09:01", status="pending"),
    )
    assert engine.advance(at("2026-11-23 09:30")) == ["d"]


def test_pausing_twice_excludes_both_pauses() -> None:
    # billing inquiry, 24x7: counted 09:00-09:05, 09:10-09:15, 09:20-09:25 = 15 min
    _, sink = replay(
        created("t", "2026-11-23 09:00"),
        event("ticket.status", "t", "2026-11-23 09:05", status="pending"),
        event("ticket.status", "t", "2026-11-23 09:10", status="open"),
        event("ticket.status", "t", "2026-11-23 09:15", status="on_hold"),
        event("ticket.status", "t", "2026-11-23 09:20", status="open"),
        reply("t", "2026-11-23 09:25"),
    )
    assert sink.observed("first_response_seconds") == [(L, 900.0)]


def test_resolving_with_a_next_reply_clock_running_counts_it_met() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("message.customer", "t", "2026-11-23 09:10"),
        event("ticket.resolved", "t", "2026-11-23 09:20", work_seconds=90),
    )
    assert sink.outcomes() == {
        ("first_response", "met"): 1,
        ("next_reply", "met"): 1,
        ("resolution", "met"): 1,
    }
    assert sink.observed("next_reply_seconds") == []  # stopped, not answered
    assert sink.count("agent_work_seconds", ("billing", "email")) == 90


def test_a_reopen_exactly_on_target_is_not_a_breach() -> None:
    # inquiries: resolution 1 h; resolved at 10:00 after exactly 1 h (met), reopened and
    # resolved again at once: 1 h still, not past the target
    _, sink = replay(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 10:00"),
        event("ticket.reopened", "t", "2026-11-23 11:00"),
        event("ticket.resolved", "t", "2026-11-23 11:00"),
    )
    assert sink.outcomes()[("resolution", "met")] == 2
    assert sink.outcomes()[("resolution", "breached")] == 0


def test_a_reopen_under_a_policy_without_a_resolution_target() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00", team="quick"),
        event("ticket.resolved", "t", "2026-11-23 09:05"),
        event("ticket.reopened", "t", "2026-11-23 09:10"),
        event("ticket.resolved", "t", "2026-11-23 09:20"),
    )
    values = [value for _, value in sink.observed("resolution_seconds")]
    assert values == [300.0, 900.0]
    assert sink.outcomes() == {("first_response", "met"): 1}
    assert engine.gauges(at("2026-11-23 09:30")).open_tickets == {}


def test_a_reopened_ticket_is_back_in_the_backlog() -> None:
    engine, _ = replay(
        created("t", "2026-11-23 09:00"),
        event("ticket.resolved", "t", "2026-11-23 09:05"),
        event("ticket.reopened", "t", "2026-11-23 09:10"),
    )
    g = engine.gauges(at("2026-11-23 09:20"))
    assert dict(g.open_tickets) == {("billing", "normal", "standard"): 1}


def test_closed_and_abandoned_tickets_survive_a_state_round_trip() -> None:
    engine, _ = replay(
        created("c", "2026-11-23 09:00"),
        event("ticket.closed", "c", "2026-11-23 09:01"),
        created("a", "2026-11-23 09:00", channel="phone"),
        event("contact.abandoned", "a", "2026-11-23 09:01"),
    )
    fresh, _ = new_engine()
    for ticket_id in ("c", "a"):
        state = orjson.loads(orjson.dumps(engine.tickets[ticket_id].to_state()))
        assert fresh.load(state).state == engine.tickets[ticket_id].state
    assert fresh.ingest(reply("c", "2026-11-23 09:02")).reason == "ticket_closed"
    assert dict(fresh.gauges(at("2026-11-23 09:05")).open_tickets) == {}


def test_loading_held_events_counts_them_once_and_forgets_them_on_drop() -> None:
    engine, _ = new_engine()
    engine.ingest(reply("t", "2026-11-23 09:05"))
    engine.ingest(event("message.customer", "t", "2026-11-23 09:06"))
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    fresh, sink = new_engine()
    fresh.load(state)
    fresh.load(state)  # loaded again (a rebalance): replaces, does not add
    assert fresh.gauges(at("2026-11-23 09:10")).orphan_events == 2
    assert fresh.ingest(created("t", "2026-11-23 09:00")).reason is None
    assert sink.observed("first_response_seconds") == [(L, 300.0)]
    fresh.drop_many(["t"])
    assert "t" not in fresh.tickets
    assert dict(fresh.gauges(at("2026-11-23 09:10")).open_tickets) == {}


def test_dropping_an_open_ticket_takes_it_out_of_the_backlog() -> None:
    engine, _ = replay(created("t", "2026-11-23 09:00"), created("u", "2026-11-23 09:00"))
    engine.drop_many(["t"])
    assert dict(engine.gauges(at("2026-11-23 09:10")).open_tickets) == {
        ("billing", "normal", "standard"): 1
    }


def test_a_snapshot_naming_a_renamed_policy_is_mapped_by_its_match() -> None:
    engine, _ = replay(created("t", "2026-11-23 09:00"))
    matched = engine.tickets["t"].policy.name
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    state["p"] = "renamed-since"
    fresh, _ = new_engine()
    assert matched != "none" and fresh.load(state).policy.name == matched


def test_expire_forgets_finished_tickets_past_the_retention_and_keeps_open_ones() -> None:
    engine, _ = replay(
        created("o", "2026-11-23 09:00"),
        created("r", "2026-11-23 09:00"),
        event("ticket.resolved", "r", "2026-11-23 09:05"),
        created("a", "2026-11-23 09:00", channel="chat"),
        event("contact.abandoned", "a", "2026-11-23 09:01"),
        created("c", "2026-11-23 09:00"),
        event("ticket.closed", "c", "2026-11-23 09:02"),
    )
    day = 86400.0
    gone = engine.expire(at("2026-11-23 10:00") + day, retention=day)
    assert sorted(gone) == ["a", "c", "r"]  # resolved, never closed: forgotten too
    assert set(engine.tickets) == {"o"}


def test_events_parse_for_the_reference_of_the_test_helpers() -> None:
    # the helpers above build contract events: a guard that they stay valid
    assert parse(created("t", "2026-11-23 09:00")).type == "ticket.created"


def test_a_pause_at_the_instant_of_creation_counts_nothing_before_it() -> None:
    # billing inquiry: pending at 09:00 (0 s counted), open 09:10, reply 09:15: 300 s
    _, sink = replay(
        created("t", "2026-11-23 09:00"),
        event("ticket.status", "t", "2026-11-23 09:00", status="pending"),
        event("ticket.status", "t", "2026-11-23 09:10", status="open"),
        reply("t", "2026-11-23 09:15"),
    )
    assert sink.observed("first_response_seconds") == [(L, 300.0)]


def test_a_cycle_reopened_exactly_on_target_breaches_the_moment_time_passes() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 10:00"),  # exactly 1 h: met
        event("ticket.reopened", "t", "2026-11-23 11:00"),  # deadline: 11:00 itself
    )
    assert sink.outcomes()[("resolution", "breached")] == 0
    engine.advance(at("2026-11-23 11:00") + 0.5)
    assert sink.outcomes()[("resolution", "breached")] == 1


def test_a_loaded_ticket_counts_its_outcomes_against_its_own_policy() -> None:
    # billing inquiry: first response 10 min; snapshot at 09:02, reply at 09:08 (met),
    # customer at 09:09, next reply (20 min) due 09:29, answered 09:40: breached
    engine, _ = replay(created("t", "2026-11-23 09:00"), until="2026-11-23 09:02")
    state = orjson.loads(orjson.dumps(engine.tickets["t"].to_state()))
    fresh, sink = new_engine()
    assert fresh.load(state).policy.name == "inquiries"
    for raw in (
        reply("t", "2026-11-23 09:08"),
        event("message.customer", "t", "2026-11-23 09:09"),
        reply("t", "2026-11-23 09:40"),
    ):
        assert fresh.ingest(raw, event_clock=True).reason is None
    assert sink.outcomes() == {("first_response", "met"): 1, ("next_reply", "breached"): 1}
    assert sink.observed("first_response_seconds") == [(L, 480.0)]


def test_gauges_count_every_late_and_at_risk_clock_of_a_team() -> None:
    # billing inquiries, first response 10 min: a and b created 09:00 (due 09:10),
    # c and d 09:05 (at risk from 09:13, 0.8 of 10 min)
    engine, _ = replay(
        created("a", "2026-11-23 09:00"),
        created("b", "2026-11-23 09:00"),
        created("c", "2026-11-23 09:05"),
        created("d", "2026-11-23 09:05"),
    )
    g = engine.gauges(at("2026-11-23 09:10"))  # exactly on the deadline: not past it
    assert g.breached_open[("billing", "first_response")] == 0
    g = engine.gauges(at("2026-11-23 09:13"))
    assert g.breached_open[("billing", "first_response")] == 2
    assert g.at_risk[("billing", "first_response")] == 2
    assert g.oldest_created == {"billing": at("2026-11-23 09:00")}


def test_a_clock_paused_at_the_at_risk_share_is_not_at_risk_until_it_resumes() -> None:
    # 0.8 of 10 min = 8 min: paused at 09:08, not running, so not at risk (contract: running
    # clocks); resumed with 9 min counted: at risk at once
    engine, _ = replay(
        created("t", "2026-11-23 09:00"),
        event("ticket.status", "t", "2026-11-23 09:08", status="pending"),
    )
    assert engine.gauges(at("2026-11-23 09:30")).at_risk[("billing", "first_response")] == 0
    engine, _ = replay(
        created("u", "2026-11-23 09:00"),
        event("ticket.status", "u", "2026-11-23 09:09", status="pending"),
        event("ticket.status", "u", "2026-11-23 10:00", status="open"),
    )
    assert engine.gauges(at("2026-11-23 10:00")).at_risk[("billing", "first_response")] == 1


def test_a_resolved_ticket_in_the_deadline_queue_does_not_stop_the_others() -> None:
    # a: resolved 09:05 (no longer open, its 09:10 entry left behind); b due 09:11
    engine, _ = replay(
        created("a", "2026-11-23 09:00"),
        created("b", "2026-11-23 09:01"),
        event("ticket.resolved", "a", "2026-11-23 09:05"),
    )
    assert engine.advance(at("2026-11-23 09:30")) == ["b"]


def test_apply_without_the_raw_event_hands_the_event_data_to_the_hook() -> None:
    dead: list[tuple[Any, str]] = []
    engine, _ = new_engine(dead)
    engine.apply(parse(created("t", "2026-11-23 09:00")))
    engine.apply(parse(event("ticket.closed", "t", "2026-11-23 09:01")))
    late = reply("t", "2026-11-23 09:02")
    engine.apply(parse(late))
    twice = event("ticket.resolved", "u", "2026-11-23 09:03")
    engine.apply(parse(created("u", "2026-11-23 09:00")))
    engine.apply(parse(event("ticket.resolved", "u", "2026-11-23 09:02")))
    engine.apply(parse(twice))
    assert dead == [(late, "ticket_closed"), (twice, "invalid_state")]


def test_loading_several_orphans_adds_their_held_events() -> None:
    engine, _ = new_engine()
    engine.ingest(reply("x", "2026-11-23 09:05"))
    engine.ingest(reply("y", "2026-11-23 09:05"))
    engine.ingest(event("message.customer", "y", "2026-11-23 09:06"))
    fresh, _ = new_engine()
    for ticket_id in ("x", "y"):
        fresh.load(orjson.loads(orjson.dumps(engine.tickets[ticket_id].to_state())))
    assert fresh.gauges(at("2026-11-23 09:10")).orphan_events == 3


def test_a_ticket_loaded_while_paused_keeps_its_target_for_the_resume() -> None:
    # billing inquiry, first response 10 min: pending at 09:02 (120 s counted), snapshot,
    # open at 09:10 in the new engine: 480 s left -> deadline 09:18
    engine, _ = replay(
        created("t", "2026-11-23 09:00"),
        event("ticket.status", "t", "2026-11-23 09:02", status="pending"),
    )
    fresh, sink = new_engine()
    fresh.load(orjson.loads(orjson.dumps(engine.tickets["t"].to_state())))
    open_ = event("ticket.status", "t", "2026-11-23 09:10", status="open")
    assert fresh.ingest(open_, event_clock=True).reason is None
    fresh.advance(at("2026-11-23 09:18"))
    assert sink.outcomes() == {}
    fresh.advance(at("2026-11-23 09:18") + 1)
    assert sink.outcomes() == {("first_response", "breached"): 1}
