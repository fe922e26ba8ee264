"""A drained gauge series reads 0 for a week of the clock, then leaves the exposition."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import FORGET_AFTER, Exporter
from tests.support import at, created, event

POLICY = {"policies": [{"name": "p", "targets": {"first_response": "1h"}}]}


def open_series(exporter: Exporter) -> dict[tuple[str, ...], float]:
    for family in text_string_to_metric_families(exporter.exposition().decode()):
        if family.name == "servicepulse_open_tickets":
            return {(s.labels["team"], s.labels["priority"]): s.value for s in family.samples}
    raise AssertionError("servicepulse_open_tickets not exposed")


def test_a_drained_team_reads_zero_for_a_week_then_its_series_leaves() -> None:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    exporter.watch(engine, now=lambda: engine.now)
    engine.ingest(created("gone", "2026-11-02 09:00", team="pilot"), event_clock=True)
    engine.ingest(created("stays", "2026-11-02 09:00"), event_clock=True)
    assert open_series(exporter) == {("pilot", "normal"): 1.0, ("billing", "normal"): 1.0}
    engine.ingest(event("ticket.resolved", "gone", "2026-11-02 10:00"), event_clock=True)
    assert open_series(exporter)[("pilot", "normal")] == 0.0  # last seen open at 09:00
    assert FORGET_AFTER == 7 * 86400.0
    engine.advance(at("2026-11-09 08:59"))  # 6 days 23:59 after it was last seen open
    assert open_series(exporter)[("pilot", "normal")] == 0.0
    engine.advance(at("2026-11-09 09:01"))  # a week and a minute
    assert open_series(exporter) == {("billing", "normal"): 1.0}
