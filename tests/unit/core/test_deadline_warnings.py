"""Deadline warnings, breaches and escalations of running clocks against hand-computed instants.

Policy: vip-urgent 24x7 first_response 15m, warn 5m before (at_risk 0.8 would be 12m, so the
lead time's 10m comes first); default office Mon-Fri 09:00-18:00 UTC, first_response 4h,
warn 1h before (at 3h counted; 0.8 would be 3h12m). 2026-11-20 is a Friday.
"""

from __future__ import annotations

from typing import Any

from streams.core.engine import Engine
from streams.core.forewarnings import BREACH, ESCALATION, WARNING, clock_warnings
from streams.core.policy import PolicyError, parse_policy
from tests.support import RecordingSink, at, created, event, reply

POLICY: dict[str, Any] = {
    "calendars": {
        "office": {
            "timezone": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": ["09:00", "18:00"],
        },
    },
    "at_risk": 0.8,
    "policies": [
        {
            "name": "vip-urgent",
            "match": {"customer_tier": "vip", "priority": "urgent"},
            "targets": {"first_response": "15m", "resolution": "4h"},
            "warn_before": {"first_response": "5m"},
        },
        {
            "name": "default",
            "calendar": "office",
            "targets": {"first_response": "4h"},
            "warn_before": {"first_response": "1h"},
        },
    ],
}
VIP = {"customer_tier": "vip", "priority": "urgent"}


def engine_with(*events: dict[str, Any]) -> Engine:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw
    return engine


def kinds(engine: Engine, when: str, escalate_after: float = float("inf")) -> list[tuple]:
    now = at(when)
    engine.advance(now)
    return sorted(
        (w.kind, w.ticket_id, w.target, w.since)
        for w in clock_warnings(engine.open.values(), now, engine.policies.at_risk, escalate_after)
    )


def test_a_vip_ticket_warns_at_its_lead_time_and_breaches_at_its_deadline() -> None:
    engine = engine_with(created("t", "2026-11-23 10:00", **VIP))
    assert kinds(engine, "2026-11-23 10:09:59") == []
    assert kinds(engine, "2026-11-23 10:10") == [
        (WARNING, "t", "first_response", at("2026-11-23 10:10"))
    ]
    assert kinds(engine, "2026-11-23 10:15:01") == [
        (BREACH, "t", "first_response", at("2026-11-23 10:15"))
    ]


def test_the_at_risk_share_warns_first_when_it_comes_before_the_lead_time() -> None:
    policy = {**POLICY, "at_risk": 0.5}  # 7m30s of 15m, before the 10m lead instant
    engine = Engine(parse_policy(policy), RecordingSink())
    engine.ingest(created("t", "2026-11-23 10:00", **VIP), event_clock=True)
    now = at("2026-11-23 10:07:30")
    found = clock_warnings(engine.open.values(), now, 0.5)
    assert [(w.kind, w.since) for w in found] == [(WARNING, now)]


def test_a_business_hours_ticket_does_not_warn_over_the_weekend() -> None:
    # Friday 17:00: 1h counted on Friday, then Monday 09:00-11:00 -> 3h counted at Mon 11:00
    engine = engine_with(created("t", "2026-11-20 17:00"))
    assert kinds(engine, "2026-11-21 12:00") == []  # Saturday
    assert kinds(engine, "2026-11-23 10:59") == []
    assert kinds(engine, "2026-11-23 11:00") == [
        (WARNING, "t", "first_response", at("2026-11-23 11:00"))
    ]
    assert kinds(engine, "2026-11-23 12:00:01") == [
        (BREACH, "t", "first_response", at("2026-11-23 12:00"))
    ]


def test_a_paused_ticket_does_not_warn_and_an_answer_resolves_the_warning() -> None:
    engine = engine_with(
        created("p", "2026-11-23 10:00", **VIP),
        event("ticket.status", "p", "2026-11-23 10:08", status="pending"),
        created("a", "2026-11-23 10:00", **VIP),
    )
    assert kinds(engine, "2026-11-23 10:30") == [
        (BREACH, "a", "first_response", at("2026-11-23 10:15"))
    ]
    engine.ingest(reply("a", "2026-11-23 10:31"), event_clock=True)
    assert kinds(engine, "2026-11-23 10:32") == []
    # resumed at 10:40 with 8m counted: the lead instant is 2m later
    engine.ingest(event("ticket.status", "p", "2026-11-23 10:40", status="open"), True)
    assert kinds(engine, "2026-11-23 10:41:59") == []
    assert kinds(engine, "2026-11-23 10:42") == [
        (WARNING, "p", "first_response", at("2026-11-23 10:42"))
    ]


def test_a_breach_escalates_after_the_configured_time() -> None:
    engine = engine_with(created("t", "2026-11-23 10:00", **VIP))
    assert kinds(engine, "2026-11-23 10:44:59", escalate_after=1800) == [
        (BREACH, "t", "first_response", at("2026-11-23 10:15"))
    ]
    assert kinds(engine, "2026-11-23 10:45", escalate_after=1800) == [
        (BREACH, "t", "first_response", at("2026-11-23 10:15")),
        (ESCALATION, "t", "first_response", at("2026-11-23 10:45")),
    ]


def test_a_lead_time_not_shorter_than_its_target_is_a_policy_error() -> None:
    bad = {
        "policies": [
            {
                "name": "x",
                "targets": {"first_response": "15m"},
                "warn_before": {"first_response": "15m"},
            }
        ]
    }
    try:
        parse_policy(bad)
    except PolicyError as exc:
        assert "shorter than its target" in str(exc)
    else:
        raise AssertionError("accepted")
