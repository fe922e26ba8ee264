"""Engine facts against hand-computed expectations.

Policy used throughout (POLICY below):
- vip-urgent: 24x7, first_response 15m, next_reply 30m, resolution 4h
- default:    office hours Mon-Fri 09:00-18:00 UTC, holiday 2026-12-25,
              first_response 1h, next_reply 2h, resolution 1d (= 86,400 counted seconds)
- berlin:     team "de", Europe/Berlin Mon-Fri 09:00-18:00, first_response 4h
2026-11-23 is a Monday.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.support import RecordingSink, at, created, event, reply, run_events

POLICY: dict[str, Any] = {
    "calendars": {
        "office": {
            "timezone": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": ["09:00", "18:00"],
            "holidays": ["2026-12-25"],
        },
        "berlin": {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": ["09:00", "18:00"],
        },
    },
    "at_risk": 0.8,
    "policies": [
        {
            "name": "vip-urgent",
            "match": {"customer_tier": "vip", "priority": "urgent"},
            "calendar": "always",
            "targets": {"first_response": "15m", "next_reply": "30m", "resolution": "4h"},
        },
        {
            "name": "berlin",
            "match": {"team": "de"},
            "calendar": "berlin",
            "targets": {"first_response": "4h"},
        },
        {
            "name": "default",
            "match": {},
            "calendar": "office",
            "targets": {"first_response": "1h", "next_reply": "2h", "resolution": "1d"},
        },
    ],
}

VIP = {"customer_tier": "vip", "priority": "urgent"}
VIP_L = ("billing", "email", "urgent", "vip")
STD_L = ("billing", "email", "normal", "standard")


def replay(*events: dict[str, Any], until: str | None = None) -> tuple[Engine, RecordingSink]:
    return run_events(POLICY, events, until)


def test_vip_ticket_on_the_24x7_calendar() -> None:
    _, sink = replay(
        created("t1", "2026-11-23 09:00", **VIP),
        reply("t1", "2026-11-23 09:10"),  # first response 10 min = 600 s (< 15m: met)
        event("message.customer", "t1", "2026-11-23 09:20"),
        reply("t1", "2026-11-23 09:50"),  # next reply 30 min = 1800 s, exactly on target: met
        event("ticket.resolved", "t1", "2026-11-23 10:00"),  # resolution 1 h = 3600 s: met
    )
    assert sink.observed("first_response_seconds") == [(VIP_L, 600.0)]
    assert sink.observed("next_reply_seconds") == [(VIP_L, 1800.0)]
    assert sink.observed("resolution_seconds") == [(VIP_L, 3600.0)]
    assert sink.outcomes() == {
        ("first_response", "met"): 1,
        ("next_reply", "met"): 1,
        ("resolution", "met"): 1,
    }
    assert sink.count("tickets_created", VIP_L) == 1
    assert sink.count("tickets_resolved", VIP_L) == 1
    assert sink.count("first_contact_resolutions") == 0  # two public replies


def test_first_contact_resolution_needs_one_reply_no_transfer_no_reopen() -> None:
    _, sink = replay(
        created("a", "2026-11-23 09:00"),
        reply("a", "2026-11-23 09:05"),
        event("ticket.resolved", "a", "2026-11-23 09:06"),
        created("b", "2026-11-23 09:00"),
        event("ticket.resolved", "b", "2026-11-23 09:30"),  # solved with no reply: FCR too
    )
    assert sink.count("first_contact_resolutions", STD_L) == 2


def test_weekend_is_not_counted_and_breach_is_known_at_the_deadline() -> None:
    # Fri 2026-11-27 17:30 created; 30 min counted on Friday; deadline (1h) = Mon 09:30.
    engine, sink = replay(created("t", "2026-11-27 17:30"), until="2026-11-30 09:29")
    assert sink.outcomes() == {}
    engine.advance(at("2026-11-30 09:31"))  # deadline passed unmet: breach counted now
    assert sink.outcomes() == {("first_response", "breached"): 1}
    assert engine.ingest(reply("t", "2026-11-30 09:45")).reason is None
    # 30 min Friday + 45 min Monday = 4,500 s
    assert sink.observed("first_response_seconds") == [(STD_L, 4500.0)]
    assert sink.outcomes() == {("first_response", "breached"): 1}


def test_holiday_is_not_counted() -> None:
    # Thu 2026-12-24 17:00 -> 18:00 = 1 h; Fri 25th holiday; weekend; Mon 28th 09:00 -> 09:30.
    _, sink = replay(created("t", "2026-12-24 17:00"), reply("t", "2026-12-28 09:30"))
    assert sink.observed("first_response_seconds") == [(STD_L, 5400.0)]
    assert sink.outcomes() == {("first_response", "breached"): 1}  # 5,400 s > 3,600 s


def test_dst_change_in_business_hours() -> None:
    # Berlin: Fri 2026-10-23 17:00 CEST (15:00 UTC) -> 18:00 = 1 h;
    # clocks go back Sun 25th; Mon 26th 09:00 CET = 08:00 UTC -> reply 10:00 CET (09:00 UTC) = 1 h.
    labels = ("de", "email", "normal", "standard")
    _, sink = replay(created("t", "2026-10-23 15:00", team="de"), reply("t", "2026-10-26 09:00"))
    assert sink.observed("first_response_seconds") == [(labels, 7200.0)]
    assert sink.outcomes() == {("first_response", "met"): 1}  # 2 h < 4 h


def test_pause_stops_the_clock_and_moves_the_deadline() -> None:
    # 09:00 created, 09:05 pending (5 min counted), 09:35 open, deadline = 09:35 + 10 min = 09:45
    events = (
        created("t", "2026-11-23 09:00", **VIP),
        event("ticket.status", "t", "2026-11-23 09:05", status="pending"),
        event("ticket.status", "t", "2026-11-23 09:35", status="open"),
    )
    engine, sink = replay(*events, until="2026-11-23 09:45")
    assert sink.outcomes() == {}  # exactly at the deadline: not passed yet
    engine.advance(at("2026-11-23 09:45") + 1)
    assert sink.outcomes() == {("first_response", "breached"): 1}

    _, sink = replay(*events, reply("t", "2026-11-23 09:45"))
    assert sink.observed("first_response_seconds") == [(VIP_L, 900.0)]
    assert sink.outcomes() == {("first_response", "met"): 1}


def test_transfer_moves_later_facts_to_the_new_team() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00"),
        event(
            "ticket.transferred", "t", "2026-11-23 09:10", from_team="billing", to_team="technical"
        ),
        reply("t", "2026-11-23 09:20"),
        event("ticket.resolved", "t", "2026-11-23 09:30"),
        event("survey.response", "t", "2026-11-23 09:40", kind="csat", score=5),
        event("qa.review", "t", "2026-11-23 09:50", agent_id="a1", score=88),
    )
    tech = ("technical", "email", "normal", "standard")
    assert sink.count("tickets_created", STD_L) == 1
    assert sink.count("transfers", ("billing", "technical")) == 1
    assert sink.observed("first_response_seconds") == [(tech, 1200.0)]
    assert sink.count("tickets_resolved", tech) == 1
    assert sink.count("first_contact_resolutions") == 0  # transferred
    assert sink.count("survey_responses", ("technical", "email", "csat", "5")) == 1
    assert sink.observed("qa_review_score") == [(("technical",), 88.0)]
    # the "default" policy (no team/tier/priority match); the outcome under the new team
    outcome = ("technical", "email", "normal", "standard", "default", "first_response", "met")
    assert sink.count("sla_outcomes", outcome) == 1


def test_reopen_counts_a_second_resolution_with_the_time_kept() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00", **VIP),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 10:00"),  # 1 h: met (4 h target)
        event("ticket.reopened", "t", "2026-11-23 12:00"),  # resolved time not counted
        event("ticket.resolved", "t", "2026-11-23 13:30"),  # 1 h + 1.5 h = 9,000 s: met
    )
    assert sink.count("tickets_resolved", VIP_L) == 2
    assert sink.count("tickets_reopened", VIP_L) == 1
    assert [v for _, v in sink.observed("resolution_seconds")] == [3600.0, 9000.0]
    assert sink.outcomes()[("resolution", "met")] == 2
    assert sink.count("first_contact_resolutions") == 1  # the first resolution only


def test_reopen_after_a_late_resolution_breaches_the_new_cycle_at_once() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00", **VIP),
        reply("t", "2026-11-23 09:05"),
        event("ticket.resolved", "t", "2026-11-23 14:00"),  # 5 h > 4 h: breached
        event("ticket.reopened", "t", "2026-11-23 15:00"),  # cycle 2 starts at 5 h: breached
        event("ticket.resolved", "t", "2026-11-23 15:10"),  # nothing more to count
    )
    assert sink.outcomes()[("resolution", "breached")] == 2
    assert sink.outcomes()[("resolution", "met")] == 0
    # the breach of cycle 1 is counted once even though advance() also saw the deadline pass
    assert [v for _, v in sink.observed("resolution_seconds")] == [18000.0, 18600.0]


def test_abandon_stops_clocks_without_outcome() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00", channel="phone", **VIP),
        event("contact.abandoned", "t", "2026-11-23 09:03"),
        until="2026-11-24 09:00",
    )
    assert sink.count("contacts_abandoned", ("billing", "phone")) == 1
    assert sink.outcomes() == {}
    g = engine.gauges(at("2026-11-24 09:00"))
    assert sum(g.open_tickets.values()) == 0


def test_breach_before_abandon_stays_counted() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00", channel="chat", **VIP),
        event("contact.abandoned", "t", "2026-11-23 09:20"),  # after the 15 min deadline
    )
    assert sink.outcomes() == {("first_response", "breached"): 1}


def test_internal_note_is_not_a_response() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:05", public=False, work_seconds=120),
    )
    assert sink.observed("first_response_seconds") == []
    assert sink.count("agent_work_seconds", ("billing", "email")) == 120
    assert engine.gauges(at("2026-11-23 09:10")).unanswered == {"billing": 1}


def test_next_reply_clock_only_after_first_response() -> None:
    _, sink = replay(
        created("t", "2026-11-23 09:00", **VIP),
        event("message.customer", "t", "2026-11-23 09:02"),  # no next-reply clock yet
        reply("t", "2026-11-23 09:04"),
        event("message.customer", "t", "2026-11-23 09:10"),
        event("message.customer", "t", "2026-11-23 09:15"),  # clock already running
        reply("t", "2026-11-23 09:30"),  # 20 min since 09:10
    )
    assert sink.observed("next_reply_seconds") == [(VIP_L, 1200.0)]
    assert sink.outcomes() == {("first_response", "met"): 1, ("next_reply", "met"): 1}


def test_event_before_its_ticket_created_is_held_then_applied() -> None:
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    assert engine.ingest(reply("t", "2026-11-23 09:12")).reason is None
    assert engine.gauges(at("2026-11-23 09:12")).orphan_events == 1
    assert sink.observed("first_response_seconds") == []
    assert engine.ingest(created("t", "2026-11-23 09:00", **VIP)).reason is None
    assert sink.observed("first_response_seconds") == [(VIP_L, 720.0)]
    assert sink.outcomes() == {("first_response", "met"): 1}
    assert engine.gauges(at("2026-11-23 09:12")).orphan_events == 0
    assert sink.count("events_processed", ("message.agent",)) == 1


def test_duplicate_event_id_counts_once() -> None:
    first = created("t", "2026-11-23 09:00")
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    assert engine.ingest(first).reason is None
    assert engine.ingest(dict(first)).reason is None
    assert sink.count("tickets_created") == 1
    assert sink.count("events_duplicate") == 1
    assert sink.count("events_processed", ("ticket.created",)) == 1


def test_close_stops_running_clocks_as_met_and_rejects_later_events() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00", **VIP),
        event("ticket.closed", "t", "2026-11-23 09:05"),
    )
    assert sink.outcomes() == {("first_response", "met"): 1, ("resolution", "met"): 1}
    assert engine.ingest(reply("t", "2026-11-23 09:06")).reason == "ticket_closed"
    assert sink.count("events_rejected", ("ticket_closed",)) == 1


def test_gauges_open_unanswered_oldest_at_risk_breached() -> None:
    engine, _ = replay(
        created("a", "2026-11-23 09:00", **VIP),  # FR deadline 09:15, at risk from 09:12
        created("b", "2026-11-23 09:10", **VIP),  # at risk from 09:22
        created("c", "2026-11-23 09:11", team="sales"),  # office hours, 1 h FR target
        reply("c", "2026-11-23 09:12"),
        until="2026-11-23 09:16",
    )
    g = engine.gauges(at("2026-11-23 09:16"))
    assert dict(g.open_tickets) == {
        ("billing", "urgent", "vip"): 2,
        ("sales", "normal", "standard"): 1,
    }
    assert dict(g.open_by_channel) == {("billing", "email"): 2, ("sales", "email"): 1}
    assert dict(g.unanswered) == {"billing": 2}
    assert g.oldest_created == {"billing": at("2026-11-23 09:00"), "sales": at("2026-11-23 09:11")}
    assert g.breached_open[("billing", "first_response")] == 1  # a
    assert g.at_risk[("billing", "first_response")] == 0  # b: 6 of 15 min
    assert g.at_risk[("billing", "resolution")] == 0
    g = engine.gauges(at("2026-11-23 09:22"))  # b at 12 of 15 min = 80 %
    assert g.at_risk[("billing", "first_response")] == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (
            {
                "type": "ticket.exploded",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
            },
            "unknown_type",
        ),
        (
            {
                "type": "ticket.created",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "team": "x",
                "channel": "chat",
                "priority": "low",
            },
            "missing_field",
        ),
        (
            {
                "type": "message.agent",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "agent_id": 7,
            },
            "wrong_type",
        ),
        (
            {
                "type": "ticket.created",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "team": "x",
                "channel": "fax",
                "priority": "low",
                "customer_id": "c",
            },
            "invalid_value",
        ),
        (
            {
                "type": "ticket.closed",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00",
            },
            "bad_timestamp",
        ),
        (
            {"type": "ticket.closed", "event_id": "e", "ticket_id": "t", "ts": "yesterday"},
            "bad_timestamp",
        ),
        (
            {
                "type": "survey.response",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "kind": "csat",
                "score": 6,
            },
            "out_of_range",
        ),
        (
            {
                "type": "survey.response",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "kind": "nps",
                "score": 4.5,
            },
            "wrong_type",
        ),
        (
            {
                "type": "qa.review",
                "event_id": "e",
                "ticket_id": "t",
                "ts": "2026-11-23T09:00:00Z",
                "agent_id": "a",
                "score": 101,
            },
            "out_of_range",
        ),
    ],
)
def test_each_rejection_reason_is_counted_and_the_stream_goes_on(raw: Any, reason: str) -> None:
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    assert engine.ingest(created("before", "2026-11-23 09:00")).reason is None
    assert engine.ingest(raw).reason == reason
    assert engine.ingest(created("after", "2026-11-23 09:01")).reason is None
    assert sink.count("events_rejected", (reason,)) == 1
    assert sink.count("events_rejected") == 1
    assert sink.count("tickets_created") == 2


def test_invalid_state_resolving_twice_and_abandoning_an_answered_contact() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:01"),
        event("ticket.resolved", "t", "2026-11-23 09:02"),
    )
    assert (
        engine.ingest(event("ticket.resolved", "t", "2026-11-23 09:03")).reason == "invalid_state"
    )
    assert (
        engine.ingest(event("contact.abandoned", "t", "2026-11-23 09:03")).reason == "invalid_state"
    )
    assert sink.count("events_rejected", ("invalid_state",)) == 2
    assert sink.count("tickets_resolved") == 1


def test_rejected_events_reach_the_dead_letter_hook_unchanged() -> None:
    dead: list[tuple[Any, str]] = []
    engine = Engine(
        parse_policy(POLICY), RecordingSink(), on_reject=lambda raw, r: dead.append((raw, r))
    )
    engine.ingest(b"\xff\xfe garbage")
    assert dead == [(b"\xff\xfe garbage", "invalid_json")]


def test_state_round_trip_keeps_clocks_and_deadlines() -> None:
    engine, sink = replay(
        created("t", "2026-11-23 09:00", **VIP),
        event("ticket.status", "t", "2026-11-23 09:05", status="pending"),
        event("ticket.status", "t", "2026-11-23 09:10", status="open"),
    )
    state = engine.tickets["t"].to_state()
    import orjson

    state = orjson.loads(orjson.dumps(state))
    fresh = Engine(parse_policy(POLICY), sink2 := RecordingSink())
    fresh.load(state)
    fresh.advance(at("2026-11-23 09:20") + 1)  # deadline 09:10 + 10 min = 09:20
    assert sink2.outcomes() == {("first_response", "breached"): 1}
    assert fresh.ingest(reply("t", "2026-11-23 09:30")).reason is None
    assert sink2.observed("first_response_seconds") == [(VIP_L, 25 * 60.0)]
    assert sink.outcomes() == {}


def test_expire_forgets_closed_tickets_and_rejects_orphans_after_retention() -> None:
    dead: list[tuple[Any, str]] = []
    engine = Engine(
        parse_policy(POLICY),
        sink := RecordingSink(),
        on_reject=lambda r, why: dead.append((r, why)),
    )
    engine.ingest(created("closed", "2026-11-23 09:00"))
    engine.ingest(event("ticket.closed", "closed", "2026-11-23 10:00"))
    engine.ingest(created("open", "2026-11-01 09:00"))  # old but open: never forgotten
    orphan = reply("orphan", "2026-11-23 09:30")
    engine.ingest(orphan)
    day = 86400.0
    assert engine.expire(at("2026-11-23 09:30") + day, retention=day) == []  # not yet
    gone = engine.expire(at("2026-11-23 10:00") + day + 1, retention=day)
    assert sorted(gone) == ["closed", "orphan"]
    assert set(engine.tickets) == {"open"}
    assert [(orjson.loads(raw), why) for raw, why in dead] == [
        (orphan, "no_ticket")
    ]  # held as raw JSON
    assert sink.count("events_rejected", ("no_ticket",)) == 1
    assert engine.gauges(at("2026-11-25 00:00")).orphan_events == 0


def test_complaints_are_counted_and_their_resolution_time_observed() -> None:
    _, sink = replay(
        created("c", "2026-11-23 09:00", category="complaint", **VIP),
        reply("c", "2026-11-23 09:05"),
        event("ticket.resolved", "c", "2026-11-23 09:50"),  # 50 min
        created("i", "2026-11-23 09:00", **VIP),  # an inquiry: not a complaint
        event("ticket.resolved", "i", "2026-11-23 09:10"),
    )
    assert sink.count("complaints", ("billing", "email")) == 1
    assert sink.count("complaints") == 1
    assert sink.observed("complaint_resolution_seconds") == [(("billing",), 3000.0)]


def test_the_engine_reports_the_label_set_of_a_new_ticket_and_primes_nothing_itself() -> None:
    # the exporter exposes the outcome series at 0 from this fact (tests/unit/export)
    _, sink = replay(created("t", "2026-11-23 09:00", **VIP))
    targets = ("first_response", "next_reply", "resolution")
    assert sink.labels == [((*VIP_L, "vip-urgent"), targets)]
    assert sink.count("sla_outcomes") == 0 and not sink.outcomes()


def test_a_lagging_clock_still_counts_a_breach_before_the_ticket_changes() -> None:
    # No advance() at all (a live clock behind the event time): the breach of the 15 min
    # first-response deadline (09:15) is counted when the 09:20 transfer arrives, under the
    # team that had the ticket then.
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    engine.ingest(created("t", "2026-11-23 09:00", **VIP))
    engine.ingest(
        event(
            "ticket.transferred", "t", "2026-11-23 09:20", from_team="billing", to_team="technical"
        )
    )
    breach = (*VIP_L, "vip-urgent", "first_response", "breached")
    assert sink.count("sla_outcomes", breach) == 1
    assert engine.advance(at("2026-11-23 09:30")) == []  # not counted again
    assert sink.outcomes() == {("first_response", "breached"): 1}


def test_advance_returns_the_tickets_it_breached() -> None:
    engine, _ = replay(
        created("a", "2026-11-23 09:00", **VIP), created("b", "2026-11-23 09:10", **VIP)
    )
    assert engine.advance(at("2026-11-23 09:16")) == ["a"]
    assert engine.advance(at("2026-11-23 09:26")) == ["b"]
