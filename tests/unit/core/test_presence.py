"""agent.status: an agent's presence, no ticket; the latest status by event time counts."""

from __future__ import annotations

import pytest

from streams.core import presence
from streams.core.engine import Engine
from streams.core.events import Rejected, validate
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from tests.support import RecordingSink, at, iso


def status(agent: str, team: str, value: str, when: str, **extra: str) -> dict:
    return {
        "event_id": f"{agent}:{when}",
        "type": "agent.status",
        "agent_id": agent,
        "team": team,
        "status": value,
        "ts": iso(at(when)),
        **extra,
    }


def test_an_agent_status_needs_no_ticket_id_and_a_known_status() -> None:
    event = validate(status("a1", "billing", "available", "2026-11-23 09:00"))
    assert event.type == "agent.status" and event.ticket_id == ""
    with pytest.raises(Rejected) as wrong:
        validate(status("a1", "billing", "lunch", "2026-11-23 09:00"))
    assert wrong.value.reason == "invalid_value"
    missing = status("a1", "billing", "busy", "2026-11-23 09:00")
    del missing["team"]
    with pytest.raises(Rejected) as absent:
        validate(missing)
    assert absent.value.reason == "missing_field"


def test_agents_are_counted_by_team_and_latest_status_whatever_the_arrival_order() -> None:
    engine = Engine(DEFAULT_POLICY_SET, sink := RecordingSink())
    for raw in (
        status("a1", "billing", "available", "2026-11-23 09:00"),
        status("a2", "billing", "available", "2026-11-23 09:00"),
        status("a3", "technical", "busy", "2026-11-23 09:05"),
        status("a2", "billing", "away", "2026-11-23 09:30"),
        status("a2", "billing", "busy", "2026-11-23 09:10"),  # older, arrives late: ignored
    ):
        assert engine.ingest(raw).reason is None
    # a1 available, a2 away (09:30 is its latest), a3 busy
    assert dict(engine.gauges(at("2026-11-23 10:00")).agents) == {
        ("billing", "available"): 1,
        ("billing", "away"): 1,
        ("technical", "busy"): 1,
    }
    assert sink.count("events_processed", ("agent.status",)) == 5
    assert engine.tickets == {}


def test_agents_beyond_the_bound_are_rejected_not_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(presence, "MAX_AGENTS", 2)
    engine = Engine(DEFAULT_POLICY_SET, sink := RecordingSink())
    reasons = [
        engine.ingest(status(f"a{n}", "billing", "available", "2026-11-23 09:00")).reason
        for n in range(3)
    ]
    assert reasons == [None, None, "invalid_state"]
    assert sink.count("events_rejected", ("invalid_state",)) == 1
    assert engine.ingest(status("a1", "billing", "busy", "2026-11-23 09:01")).reason is None


def test_the_agents_gauge_is_exposed_by_team_and_status() -> None:
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    exporter.watch(engine, now=lambda: at("2026-11-23 10:00"))
    engine.ingest(status("a1", "billing", "available", "2026-11-23 09:00"))
    engine.ingest(status("a2", "billing", "available", "2026-11-23 09:01"))
    text = exporter.exposition().decode()
    assert 'servicepulse_agents{status="available",team="billing"} 2.0' in text
