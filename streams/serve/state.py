"""The engine's and the exporter's state as one JSON-ready snapshot, and back.

Tickets travel as ``Ticket.to_state`` (what the Kafka worker keeps in its
table) and are re-adopted with ``Engine.load``, which re-arms their deadlines.
Counters and histograms are restored as they were, so a restart does not
reset them. Series primed at 0 need nothing: priming again adds 0. The
retention horizon travels too, so a restart does not forget what was forgotten.
"""

from __future__ import annotations

from typing import Any

from streams.core.engine import Engine
from streams.export.exporter import Exporter, _Histogram


def capture(engine: Engine, exporter: Exporter) -> dict[str, Any]:
    return {
        "clock": _finite(engine.now),
        "horizon": _finite(engine.retention_horizon),
        "tickets": [ticket.to_state() for ticket in engine.tickets.values()],
        "counters": {
            name: [[list(labels), value] for labels, value in series.items()]
            for name, series in exporter.counters.items()
        },
        "histograms": {
            name: [[list(labels), h.buckets, h.sum, h.count] for labels, h in series.items()]
            for name, series in exporter.histograms.items()
        },
    }


def restore(state: dict[str, Any], engine: Engine, exporter: Exporter) -> None:
    for ticket in state["tickets"]:
        engine.load(ticket)
    if state.get("clock") is not None:
        engine.now = max(engine.now, float(state["clock"]))
    if state.get("horizon") is not None:  # absent in snapshots of earlier versions
        engine.retention_horizon = max(engine.retention_horizon, float(state["horizon"]))
    for name, series in state["counters"].items():
        counters = exporter.counters.get(name)
        if counters is None:
            continue  # a metric this version no longer has
        for labels, value in series:
            counters[tuple(labels)] = float(value)
    for name, hseries in state["histograms"].items():
        histograms = exporter.histograms.get(name)
        if histograms is None:
            continue
        for labels, buckets, total, count in hseries:
            histogram = _Histogram(len(buckets) - 1)
            histogram.buckets = list(buckets)
            histogram.sum = float(total)
            histogram.count = int(count)
            histograms[tuple(labels)] = histogram


def _finite(value: float) -> float | None:
    return value if value != float("-inf") else None
