"""A snapshot written by a compaction and read back gives the same engine and metrics.

Policy: first response 15m, resolution 4h, 24x7. On 2026-11-23 (UTC): a created 09:00
and answered 09:05 (first response 300 s), b created 09:10 and c created 09:02, both
unanswered; the engine's clock stands at 09:10. The snapshot is written by
``Journal.compact`` from ``capture`` and read by ``restore_records``, as ``serve`` does.
"""

from __future__ import annotations

from pathlib import Path

from streams.core.engine import Engine
from streams.export.exporter import Exporter
from streams.journal import Journal
from streams.serve.state import capture, restore_records
from tests.support import EngineFactory, at, created, reply

# DURATION_BUCKETS begin 10, 20, 30, 60, 120, 300: 300 s falls in the sixth (le="300")
LE_300 = 5


def _before(engine: Engine) -> None:
    for raw in (
        created("a", "2026-11-23 09:00"),
        created("c", "2026-11-23 09:02"),
        reply("a", "2026-11-23 09:05"),
        created("b", "2026-11-23 09:10"),
    ):
        assert engine.ingest(raw, event_clock=True).reason is None


def _round_trip(directory: Path, engine_factory: EngineFactory) -> tuple[Engine, Exporter]:
    engine, exporter = engine_factory(first_response="15m", resolution="4h")
    _before(engine)
    journal = Journal(directory)
    journal.open(1)
    journal.compact(*capture(engine, exporter))
    journal.close()
    again, again_exporter = engine_factory(first_response="15m", resolution="4h")
    first, wrong = restore_records(Journal(directory).snapshot_records(), again, again_exporter)
    assert (first, wrong) == (2, 0)  # the snapshot covers segment 1; the journal goes on at 2
    return again, again_exporter


def _total(exporter: Exporter, name: str) -> float:
    return sum(exporter.counters[name].values())


def _outcomes(exporter: Exporter) -> dict[tuple[str, str], float]:
    return {(k[-2], k[-1]): n for k, n in exporter.counters["sla_outcomes"].items() if n}


def test_the_restored_engine_has_the_tickets_the_clock_and_the_counters(
    tmp_path: Path, engine_factory: EngineFactory
) -> None:
    engine, exporter = _round_trip(tmp_path, engine_factory)
    assert sorted(engine.tickets) == ["a", "b", "c"]
    assert engine.now == at("2026-11-23 09:10")
    assert _total(exporter, "tickets_created") == 3
    assert _total(exporter, "events_processed") == 4
    assert _outcomes(exporter) == {("first_response", "met"): 1}


def test_the_restored_histogram_has_its_buckets_sum_and_count(
    tmp_path: Path, engine_factory: EngineFactory
) -> None:
    _, exporter = _round_trip(tmp_path, engine_factory)
    series = list(exporter.histograms["first_response_seconds"].values())
    assert len(series) == 1
    histogram = series[0]
    assert (histogram.count, histogram.sum) == (1, 300.0)
    assert histogram.buckets[LE_300] == 1 and sum(histogram.buckets) == 1


def test_the_restored_deadlines_are_armed_and_the_histogram_goes_on_from_the_snapshot(
    tmp_path: Path, engine_factory: EngineFactory
) -> None:
    engine, exporter = _round_trip(tmp_path, engine_factory)
    # b answered 09:12, 120 s after its creation: met; c's deadline 09:17 passes unanswered
    assert engine.ingest(reply("b", "2026-11-23 09:12"), event_clock=True).reason is None
    engine.advance(at("2026-11-23 09:18"))
    assert _outcomes(exporter) == {("first_response", "met"): 2, ("first_response", "breached"): 1}
    histogram = next(iter(exporter.histograms["first_response_seconds"].values()))
    assert (histogram.count, histogram.sum) == (2, 300.0 + 120.0)
