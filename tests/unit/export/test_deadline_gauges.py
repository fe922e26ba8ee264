"""Time to breach and warning/breached clocks by priority, read from the exposition."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from tests.support import at, created, event

POLICY = {
    "policies": [
        {
            "name": "vip",
            "match": {"customer_tier": "vip"},
            "targets": {"first_response": "15m"},
            "warn_before": {"first_response": "5m"},
        },
        {"name": "default", "targets": {"first_response": "1h"}},
    ],
}


def samples(exposition: bytes, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    for parsed in text_string_to_metric_families(exposition.decode()):
        if parsed.name == family:
            return {tuple(sorted(s.labels.items())): s.value for s in parsed.samples}
    raise AssertionError(f"{family} not exposed")


def test_time_to_breach_and_warning_clocks_follow_the_hand_computed_deadlines() -> None:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    for raw in (
        created("v1", "2026-11-23 10:00", customer_tier="vip", priority="urgent"),  # due 10:15
        created("v2", "2026-11-23 09:50", customer_tier="vip", priority="urgent"),  # due 10:05
        created("s1", "2026-11-23 10:00", team="sales"),  # due 11:00, at risk from 10:48
        created("s2", "2026-11-23 10:00", team="sales"),
        event("ticket.status", "s2", "2026-11-23 10:01", status="pending"),  # paused: nothing
    ):
        assert engine.ingest(raw).reason is None
    engine.advance(at("2026-11-23 10:11"))
    exporter.watch(engine, now=lambda: engine.now)
    text = exporter.exposition()

    nearest = samples(text, "servicepulse_sla_next_deadline_seconds")
    assert nearest == {
        (("target", "first_response"), ("team", "billing")): 240.0,  # v1 at 10:15
        (("target", "first_response"), ("team", "sales")): 2940.0,  # s1 at 11:00
    }
    vip = (
        ("customer_tier", "vip"),
        ("priority", "urgent"),
        ("target", "first_response"),
        ("team", "billing"),
    )
    # v1 warns from 10:10 (5m before 10:15); v2 breached at 10:05
    assert samples(text, "servicepulse_sla_warning_clocks") == {vip: 1.0}
    assert samples(text, "servicepulse_sla_breached_running_clocks") == {vip: 1.0}
