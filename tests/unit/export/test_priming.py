"""Zero-priming lives in the exporter: series a ticket's later facts may increase start at 0.

Prometheus' increase() cannot see the first sample of a series, so a counter born at 1
hides its first increment (the first breach of a label set would page no one).
"""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from tests.support import at, created, event, reply

POLICY: dict[str, Any] = {
    "policies": [
        {"name": "complaints", "match": {"category": "complaint"}, "targets": {"resolution": "1h"}},
        {"name": "all", "targets": {"first_response": "15m", "next_reply": "1h"}},
    ]
}
OUTCOMES = "servicepulse_sla_outcomes_total"


def samples(exporter: Exporter, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(exporter.exposition().decode())
        for s in family.samples
        if s.name == name
    }


def outcome(team: str, policy: str, target: str, result: str, **more: str) -> tuple:
    labels = {"team": team, "channel": "email", "priority": "normal"}
    labels |= {"customer_tier": "standard", "policy": policy, "target": target}
    return tuple(sorted({**labels, "outcome": result, **more}.items()))


def engine(exporter: Exporter) -> Engine:
    return Engine(parse_policy(POLICY), exporter)


def test_a_new_ticket_exposes_met_and_breached_of_its_policys_targets_at_zero() -> None:
    exporter = Exporter()
    engine(exporter).ingest(created("t", "2026-11-23 09:00"))
    assert samples(exporter, OUTCOMES) == {
        outcome("billing", "all", target, result): 0.0
        for target in ("first_response", "next_reply")  # "all" measures no resolution
        for result in ("met", "breached")
    }


def test_the_policy_and_channel_labels_tell_complaints_apart() -> None:
    exporter = Exporter()
    sp = engine(exporter)
    sp.ingest(created("c", "2026-11-23 09:00", category="complaint", channel="phone"))
    sp.ingest(event("ticket.resolved", "c", "2026-11-23 09:30"))
    got = samples(exporter, OUTCOMES)
    assert got == {
        outcome("billing", "complaints", "resolution", "met", channel="phone"): 1.0,
        outcome("billing", "complaints", "resolution", "breached", channel="phone"): 0.0,
    }


def test_a_hand_off_exposes_the_new_teams_series_at_zero() -> None:
    exporter = Exporter()
    sp = engine(exporter)
    sp.ingest(created("t", "2026-11-23 09:00"))
    sp.ingest(reply("t", "2026-11-23 09:05"))  # first response met under billing
    sp.ingest(
        event("ticket.transferred", "t", "2026-11-23 09:06", from_team="billing", to_team="sales")
    )
    got = samples(exporter, OUTCOMES)
    assert got[outcome("billing", "all", "first_response", "met")] == 1.0
    assert got[outcome("sales", "all", "next_reply", "breached")] == 0.0
    assert got[outcome("sales", "all", "first_response", "met")] == 0.0
    assert len(got) == 8


def test_a_ticket_loaded_from_a_snapshot_gets_its_series_so_its_first_breach_is_seen() -> None:
    # after a restart or a rebalance, the first breach of a loaded ticket
    # must be an increase from 0, not a series born at 1
    first = Engine(parse_policy(POLICY), Exporter())
    first.ingest(created("t", "2026-11-23 09:00"))
    first.ingest(created("done", "2026-11-23 09:00"))
    first.ingest(event("ticket.closed", "done", "2026-11-23 09:01"))
    states = [first.tickets[t].to_state() for t in ("t", "done")]

    exporter = Exporter()  # a new process: nothing exposed yet
    again = engine(exporter)
    for state in states:
        again.load(state)
    breached = outcome("billing", "all", "first_response", "breached")
    assert samples(exporter, OUTCOMES)[breached] == 0.0
    assert len(samples(exporter, OUTCOMES)) == 4  # the closed ticket primes nothing more
    assert again.advance(at("2026-11-23 09:16")) == ["t"]  # 15 min deadline passed
    assert samples(exporter, OUTCOMES)[breached] == 1.0


def test_a_resolved_ticket_loaded_from_a_snapshot_is_primed_for_a_reopen() -> None:
    first = Engine(parse_policy(POLICY), Exporter())
    first.ingest(created("c", "2026-11-23 09:00", category="complaint"))
    first.ingest(event("ticket.resolved", "c", "2026-11-23 09:10"))
    exporter = Exporter()
    engine(exporter).load(first.tickets["c"].to_state())
    assert samples(exporter, OUTCOMES) == {
        outcome("billing", "complaints", "resolution", "met"): 0.0,
        outcome("billing", "complaints", "resolution", "breached"): 0.0,
    }


def test_abandon_counters_start_at_zero_for_each_team_and_channel() -> None:
    exporter = Exporter()
    sp = engine(exporter)
    sp.ingest(created("p", "2026-11-23 09:00", channel="phone"))
    sp.ingest(created("q", "2026-11-23 09:00", channel="phone"))
    sp.ingest(event("contact.abandoned", "q", "2026-11-23 09:00:04"))
    key = (("channel", "phone"), ("team", "billing"))
    assert samples(exporter, "servicepulse_contacts_abandoned_total") == {key: 1.0}
    assert samples(exporter, "servicepulse_contacts_abandoned_short_total") == {key: 1.0}
    sp.ingest(created("r", "2026-11-23 09:00", channel="chat"))
    chat = (("channel", "chat"), ("team", "billing"))
    assert samples(exporter, "servicepulse_contacts_abandoned_short_total")[chat] == 0.0
