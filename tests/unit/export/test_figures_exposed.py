"""The new figures in the catalogue and the exposition: names, labels, help, bucket edges."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.catalogue import BY_NAME, CATALOGUE, DURATION_BUCKETS
from streams.export.exporter import Exporter
from tests.support import at, created, event, reply

AGENT = ("team", "agent")
# as decided in METRICS.md (names as exposed -> labels)
EXPECTED = {
    "servicepulse_sla_outcomes_total": (
        "team",
        "channel",
        "priority",
        "customer_tier",
        "policy",
        "target",
        "outcome",
    ),
    "servicepulse_contacts_abandoned_short_total": ("team", "channel"),
    "servicepulse_oldest_unanswered_ticket_age_seconds": ("team",),
    "servicepulse_agent_first_responses_total": AGENT,
    "servicepulse_agent_first_response_seconds_total": AGENT,
    "servicepulse_agent_resolutions_total": AGENT,
    "servicepulse_agent_first_contact_resolutions_total": AGENT,
    "servicepulse_agent_survey_responses_total": (*AGENT, "kind", "score"),
    "servicepulse_agent_qa_reviews_total": AGENT,
    "servicepulse_agent_qa_score_total": AGENT,
    "servicepulse_agent_handle_seconds_total": AGENT,
}


def test_the_catalogue_has_each_new_metric_with_its_labels_and_a_help_text() -> None:
    exposed = {m.exposed: m for m in CATALOGUE}
    for name, labels in EXPECTED.items():
        assert exposed[name].labels == labels, name
        assert len(exposed[name].help) > 20, name
    assert BY_NAME["oldest_unanswered_ticket_age_seconds"].kind == "gauge"


def test_duration_buckets_have_the_service_level_edges_in_order() -> None:
    assert 20.0 in DURATION_BUCKETS and 3600.0 in DURATION_BUCKETS  # 80/20; email's 1 h
    assert list(DURATION_BUCKETS) == sorted(set(DURATION_BUCKETS))
    assert DURATION_BUCKETS[:3] == (10.0, 20.0, 30.0)


def gauge(exporter: Exporter) -> dict[str, float]:
    return {
        s.labels["team"]: s.value
        for family in text_string_to_metric_families(exporter.exposition().decode())
        for s in family.samples
        if s.name == "servicepulse_oldest_unanswered_ticket_age_seconds"
    }


def test_oldest_unanswered_age_per_team_and_zero_for_a_team_once_seen() -> None:
    exporter = Exporter()
    engine = Engine(parse_policy({"policies": []}), exporter)
    clock = [at("2026-11-23 09:30")]
    exporter.watch(engine, now=lambda: clock[0])
    for raw in (
        created("paused", "2026-11-23 09:00"),
        event("ticket.status", "paused", "2026-11-23 09:01", status="pending"),
        created("answered", "2026-11-23 09:02"),
        reply("answered", "2026-11-23 09:03"),
        created("waiting", "2026-11-23 09:10"),
        created("tech", "2026-11-23 09:04", team="technical"),
        reply("tech", "2026-11-23 09:05"),  # technical: open, but answered
    ):
        assert engine.ingest(raw).reason is None
    assert gauge(exporter) == {"billing": 1200.0, "technical": 0.0}
    engine.ingest(reply("waiting", "2026-11-23 09:31"))
    for ticket in ("paused", "answered", "waiting", "tech"):
        engine.ingest(event("ticket.resolved", ticket, "2026-11-23 09:32"))
    clock[0] = at("2026-11-23 09:40")
    assert gauge(exporter) == {"billing": 0.0, "technical": 0.0}  # seen once: kept at 0
