"""The backfill's gauges as rows are the exporter's gauge families, value for value."""

from __future__ import annotations

from streams.core.engine import Engine
from streams.core.policy import load_policies
from streams.export.exporter import BacklogCollector, Exporter
from streams.export.openmetrics import GaugeRows
from streams.history.gauges import SampledGauges
from streams.simulator import ContactCentre, SimConfig

START = 1_793_577_600.0  # 2026-11-02 00:00 UTC, a Monday


def as_rows(families: list) -> list[tuple[str, list[tuple[tuple[str, ...], float]]]]:
    return [
        (f.name, [(tuple(s.labels.values()), float(s.value)) for s in f.samples]) for f in families
    ]


def test_the_rows_are_the_collectors_families_at_every_sampled_instant() -> None:
    # two days of a simulated centre (tickets opened, answered, breached, surveys, agents'
    # presence), both collectors asked at the same instants: every family, every label
    # set (kept at 0 once seen, forgotten after a day here), every value the same
    engine = Engine(load_policies(None), Exporter())
    clock = {"now": START}
    exporter = BacklogCollector(engine, lambda: clock["now"], forget_after=86400.0)
    sampled = SampledGauges(engine, lambda: clock["now"], forget_after=86400.0)
    events = ContactCentre(SimConfig(seed=3, arrivals_per_hour=40), START).events(
        until=START + 2 * 86400
    )
    instants = 0
    next_sample = START + 600.0
    for event in events:
        engine.ingest(event, event_clock=True)
        if engine.now >= next_sample:
            clock["now"] = engine.now
            expected = as_rows(list(exporter.collect()))
            rows = sampled.rows()
            assert all(isinstance(r, GaugeRows) for r in rows)
            assert [(r.name, r.rows) for r in rows] == expected
            instants += 1
            next_sample += 600.0
    assert instants > 250  # two days every 10 minutes
    assert any(r.rows for r in sampled.rows() if r.name.endswith("sla_at_risk_tickets"))
