"""Turn the engine's facts into Prometheus metrics (prometheus-client).

The engine reports ``inc``/``observe`` with a metric name from the catalogue
and a label tuple; the exporter caches one child per (metric, labels) so the
per-event cost is one dict look-up. Gauges are derived from the engine on
every scrape by a custom collector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.engine import Gauges
from streams.metrics import BY_NAME, CATALOGUE, PREFIX, Metric
from streams.ticket import TARGETS

# `_created` timestamps double the series count and no board or rule uses them
disable_created_metrics()


class GaugeSource(Protocol):
    def gauges(self, now: float) -> Gauges: ...


class Exporter:
    """A ``FactSink`` backed by a prometheus-client registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._families: dict[str, Any] = {}
        for metric in CATALOGUE:
            if metric.kind == "counter":
                self._families[metric.name] = Counter(
                    PREFIX + metric.name, metric.help, metric.labels, registry=self.registry
                )
            elif metric.kind == "histogram":
                self._families[metric.name] = Histogram(
                    PREFIX + metric.name,
                    metric.help,
                    metric.labels,
                    buckets=metric.buckets,
                    registry=self.registry,
                )
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}

    def _child(self, metric: str, labels: tuple[str, ...]) -> Any:
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            family = self._families[metric]
            child = family.labels(*labels) if labels else family
            self._children[key] = child
        return child

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self._child(metric, labels).inc(amount)

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self._child(metric, labels).observe(value)

    def observe_lag(self, seconds: float) -> None:
        self._child("event_lag_seconds", ()).observe(max(0.0, seconds))

    def watch(self, source: GaugeSource, now: Callable[[], float]) -> BacklogCollector:
        """Expose the gauges of ``source`` (an engine) evaluated at ``now()`` on every scrape."""
        collector = BacklogCollector(source, now)
        self.registry.register(collector)
        return collector

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class BacklogCollector(Collector):
    """The contract's gauges, derived from the engine at scrape time.

    A label set once seen keeps being reported (as 0 when it empties), so a
    backlog that drains reads 0 on the boards rather than "no data".
    """

    def __init__(self, source: GaugeSource, now: Callable[[], float]) -> None:
        self.source = source
        self.now = now
        self._known: dict[str, set[tuple[str, ...]]] = {}

    def _family(self, name: str, values: Mapping[Any, float]) -> GaugeMetricFamily:
        metric: Metric = BY_NAME[name]
        family = GaugeMetricFamily(PREFIX + name, metric.help, labels=metric.labels)
        known = self._known.setdefault(name, set())
        keys = {key if isinstance(key, tuple) else (key,) for key in values}
        known |= keys
        for labels in sorted(known):
            key: Any = labels if len(labels) > 1 else labels[0]
            family.add_metric(list(labels), float(values.get(key, 0)))
        return family

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.now()
        gauges = self.source.gauges(now)
        yield self._family("open_tickets", gauges.open_tickets)
        yield self._family("unanswered_tickets", gauges.unanswered)
        ages = {team: max(0.0, now - created) for team, created in gauges.oldest_created.items()}
        # a team whose backlog emptied has no oldest ticket: report 0 for it
        yield self._family("oldest_open_ticket_age_seconds", ages)
        for name, values in (
            ("sla_at_risk_tickets", gauges.at_risk),
            ("sla_breached_open_tickets", gauges.breached_open),
        ):
            for team in gauges.unanswered.keys() | {team for team, *_ in gauges.open_tickets}:
                for target in TARGETS:
                    values.setdefault((team, target), 0)
            yield self._family(name, values)
        orphans = GaugeMetricFamily(PREFIX + "orphan_events", BY_NAME["orphan_events"].help)
        orphans.add_metric([], float(gauges.orphan_events))
        yield orphans
