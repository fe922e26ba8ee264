"""The exporter's gauges and zero-primed series, read back from the exposition text."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from tests.support import at, created, event, reply

POLICY = {
    "policies": [
        {
            "name": "all",
            "match": {},
            "calendar": "always",
            "targets": {"first_response": "15m", "resolution": "4h"},
        }
    ]
}
# the rejection reasons of docs/engine.md and events.py, spelled out here on purpose
REASONS = {
    "invalid_json",
    "not_an_object",
    "unknown_type",
    "missing_field",
    "wrong_type",
    "invalid_value",
    "bad_timestamp",
    "out_of_range",
    "ticket_closed",
    "invalid_state",
    "no_ticket",
    # the limits of docs/limits.md and the engine's transaction
    "too_large",
    "too_deep",
    "engine_error",
}


def scrape(exporter: Exporter, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one family: sorted label pairs -> value."""
    text = exporter.exposition().decode()
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for fam in text_string_to_metric_families(text)
        if fam.name == "servicepulse_" + family
        for sample in fam.samples
    }


def setup(clock: list[float]) -> tuple[Engine, Exporter]:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    exporter.watch(engine, lambda: clock[0])
    return engine, exporter


def test_every_rejection_reason_is_exposed_at_zero_before_any_event() -> None:
    series = scrape(Exporter(), "events_rejected")
    assert series == {(("reason", reason),): 0.0 for reason in REASONS}


def test_a_rejection_adds_to_its_reason_and_leaves_the_others_at_zero() -> None:
    clock = [at("2026-11-23 09:00")]
    engine, exporter = setup(clock)
    assert engine.ingest(b"{not json").reason == "invalid_json"
    series = scrape(exporter, "events_rejected")
    assert series[(("reason", "invalid_json"),)] == 1.0
    assert sum(series.values()) == 1.0
    assert len(series) == len(REASONS)


def test_a_drained_backlog_reads_zero_instead_of_vanishing() -> None:
    clock = [at("2026-11-23 09:20")]
    engine, exporter = setup(clock)
    for raw in (
        created("a", "2026-11-23 09:00", priority="high"),  # FR deadline 09:15: breached at 09:20
        created("b", "2026-11-23 09:10", priority="high"),  # at risk from 09:22 (0.8 of 15 min)
    ):
        assert engine.ingest(raw, event_clock=True).reason is None
    team = (("team", "billing"),)
    open_key = (("customer_tier", "standard"), ("priority", "high"), ("team", "billing"))
    fr = (("target", "first_response"), ("team", "billing"))
    res = (("target", "resolution"), ("team", "billing"))
    nr = (("target", "next_reply"), ("team", "billing"))

    assert scrape(exporter, "open_tickets") == {open_key: 2.0}
    assert scrape(exporter, "unanswered_tickets") == {team: 2.0}
    assert scrape(exporter, "oldest_open_ticket_age_seconds") == {team: 1200.0}  # 09:00 -> 09:20
    assert scrape(exporter, "sla_breached_open_tickets") == {fr: 1.0, res: 0.0, nr: 0.0}
    assert scrape(exporter, "sla_at_risk_tickets") == {fr: 0.0, res: 0.0, nr: 0.0}
    clock[0] = at("2026-11-23 09:23")
    assert scrape(exporter, "sla_at_risk_tickets") == {fr: 1.0, res: 0.0, nr: 0.0}

    for raw in (
        reply("a", "2026-11-23 09:24"),
        reply("b", "2026-11-23 09:24"),
        event("ticket.resolved", "a", "2026-11-23 09:25"),
        event("ticket.resolved", "b", "2026-11-23 09:25"),
    ):
        assert engine.ingest(raw, event_clock=True).reason is None
    clock[0] = at("2026-11-23 09:30")
    assert scrape(exporter, "open_tickets") == {open_key: 0.0}
    assert scrape(exporter, "unanswered_tickets") == {team: 0.0}
    assert scrape(exporter, "oldest_open_ticket_age_seconds") == {team: 0.0}
    assert scrape(exporter, "sla_breached_open_tickets") == {fr: 0.0, res: 0.0, nr: 0.0}
    assert scrape(exporter, "sla_at_risk_tickets") == {fr: 0.0, res: 0.0, nr: 0.0}
    by_channel = (("channel", "email"), ("team", "billing"))
    assert scrape(exporter, "open_tickets_by_channel") == {by_channel: 0.0}


def test_held_events_are_exposed_as_orphans() -> None:
    clock = [at("2026-11-23 09:30")]
    engine, exporter = setup(clock)
    assert scrape(exporter, "orphan_events") == {(): 0.0}
    assert engine.ingest(reply("x", "2026-11-23 09:10")).reason is None
    assert engine.ingest(reply("x", "2026-11-23 09:11")).reason is None
    assert scrape(exporter, "orphan_events") == {(): 2.0}
    assert engine.ingest(created("x", "2026-11-23 09:00")).reason is None
    assert scrape(exporter, "orphan_events") == {(): 0.0}


def test_a_repeated_event_is_counted_as_a_duplicate_in_the_exposition() -> None:
    engine, exporter = setup([at("2026-11-23 09:00")])
    raw = created("d", "2026-11-23 09:00")
    assert engine.ingest(raw).reason is None
    assert engine.ingest(dict(raw)).reason is None
    assert scrape(exporter, "events_duplicate") == {(): 1.0}


def test_unlabelled_counters_and_histograms_are_exposed_at_zero_from_the_start() -> None:
    exporter = Exporter()
    assert scrape(exporter, "events_duplicate") == {(): 0.0}
    text = exporter.exposition().decode()
    lag = {
        (sample.name, sample.labels.get("le")): sample.value
        for fam in text_string_to_metric_families(text)
        if fam.name == "servicepulse_event_lag_seconds"
        for sample in fam.samples
    }
    assert lag[("servicepulse_event_lag_seconds_count", None)] == 0.0
    assert lag[("servicepulse_event_lag_seconds_bucket", "+Inf")] == 0.0
