"""The exporter takes one event's facts in one call, with what one call per fact gave."""

from __future__ import annotations

from typing import Any

from streams.core.transaction import FactBuffer
from streams.export.exporter import Exporter

L = ("billing", "email", "normal", "standard")


def _facts(buffer: Any) -> None:
    buffer.inc("tickets_created", L)
    buffer.observe("first_response_seconds", L, 20.0)
    buffer.observe("first_response_seconds", L, 1e12)  # the +Inf bucket
    buffer.labelled((*L, "default"), ("first_response", "resolution"))
    buffer.inc("sla_outcomes", (*L, "default", "resolution", "breached"))
    buffer.inc("agent_work_seconds", ("billing", "email"), 12.5)
    buffer.inc("events_processed", ("ticket.created",))


def _state(exporter: Exporter) -> Any:
    histograms = {
        name: [(labels, h.buckets, h.sum, h.count) for labels, h in series.items()]
        for name, series in exporter.histograms.items()
    }
    counters = {name: list(series.items()) for name, series in exporter.counters.items()}
    return counters, histograms, exporter.exposition()


def test_take_facts_leaves_the_exporter_as_one_call_per_fact_does() -> None:
    batched, single = Exporter(), Exporter()
    buffer = FactBuffer(batched)
    _facts(buffer)
    buffer.commit()
    _facts(single)
    assert _state(batched) == _state(single)  # insertion order too: the exposition's order


class Counting(Exporter):
    """A subclass that changes ``inc`` (like the worker's partition tally)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self.calls += 1
        super().inc(metric, labels, amount)


def test_a_subclass_that_changes_inc_gets_every_call() -> None:
    exporter = Counting()
    buffer = FactBuffer(exporter)
    _facts(buffer)
    buffer.commit()
    assert exporter.calls == 4
    single = Exporter()
    _facts(single)
    assert _state(exporter) == _state(single)
