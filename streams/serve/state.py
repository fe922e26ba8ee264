"""The engine's and the exporter's state as snapshot records, and back.

Tickets travel as ``Ticket.to_state`` (the dict the Kafka worker's changelog held
before its flat format 2) and are re-adopted with ``Engine.load``, which re-arms their
deadlines.
Counters and histograms are restored as they were, so a restart does not
reset them. Series primed at 0 need nothing: priming again adds 0. The
retention horizon travels too, so a restart does not forget what was forgotten.

:func:`capture` serialises each record at once (a ticket is a few hundred bytes
of JSON, far less than its dict), and :func:`restore_records` adopts one record
at a time as the journal reads them, so neither a compaction nor a restart holds
the state twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from streams.core.engine import Engine
from streams.export.exporter import Exporter, HistogramSeries
from streams.journal import snapshot_line


def capture(engine: Engine, exporter: Exporter) -> tuple[dict[str, Any], list[bytes]]:
    """(the header: clock and horizon, one checksummed line per ticket and per metric)."""
    header = {"clock": _finite(engine.now), "horizon": _finite(engine.retention_horizon)}
    lines = [snapshot_line({"ticket": ticket.to_state()}) for ticket in engine.tickets.values()]
    for name, series in exporter.counters.items():
        lines.append(snapshot_line({"counter": [name, [[list(k), v] for k, v in series.items()]]}))
    for name, hseries in exporter.histograms.items():
        rows = [[list(k), h.buckets, h.sum, h.count] for k, h in hseries.items()]
        lines.append(snapshot_line({"histogram": [name, rows]}))
    return header, lines


def restore_records(
    records: Iterable[dict[str, Any]],
    engine: Engine,
    exporter: Exporter,
    ceiling: float = math.inf,
) -> tuple[int, int]:
    """Adopt the header (the first record) and every record after it; returns (the first
    segment not covered, the records of a wrong shape, which are skipped). A header clock
    or horizon beyond ``ceiling`` (the wall clock of the restart plus a day) is not taken:
    a damaged record never moves the clock."""
    iterator = iter(records)
    header = next(iterator, {"segment": 0})
    wrong = 0
    for key in ("clock", "horizon"):
        value = header.get(key)
        if value is None:
            continue
        if not isinstance(value, int | float) or not -math.inf < value <= ceiling:
            wrong += 1
        elif key == "clock":
            engine.now = max(engine.now, float(value))
        else:
            engine.retention_horizon = max(engine.retention_horizon, float(value))
    for record in iterator:
        try:
            _restore(record, engine, exporter)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            wrong += 1
    return int(header.get("segment") or 0), wrong


def _restore(record: dict[str, Any], engine: Engine, exporter: Exporter) -> None:
    if "ticket" in record:
        engine.load(record["ticket"])
    elif "counter" in record:
        name, series = record["counter"]
        counters = exporter.counters.get(name)
        if counters is None:
            return  # a metric this version no longer has
        restored = {tuple(labels): float(value) for labels, value in series}
        counters.update(restored)
    elif "histogram" in record:
        name, hseries = record["histogram"]
        histograms = exporter.histograms.get(name)
        if histograms is None:
            return
        for labels, buckets, total, count in hseries:
            histogram = HistogramSeries(len(buckets) - 1)
            histogram.buckets = [int(b) for b in buckets]
            histogram.sum = float(total)
            histogram.count = int(count)
            histograms[tuple(labels)] = histogram
    else:
        raise KeyError("no ticket, counter or histogram")


def _finite(value: float) -> float | None:
    return value if value != float("-inf") else None
