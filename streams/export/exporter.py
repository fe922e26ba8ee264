"""Turn the engine's facts into Prometheus metrics.

The engine reports ``inc``/``observe`` with a metric name from the catalogue
and a label tuple. On the per-event path the exporter only adds to plain
dicts (a counter is one float, a histogram a list of bucket counts); the
prometheus-client metric families are built at scrape time by a custom
collector. This keeps the hot path to a dict look-up and an addition, where
prometheus-client's labelled children cost a lock and several calls per fact.
Gauges are derived from the engine on every scrape.

All zero-priming of series lives here: the engine only says which label set a
ticket carries (``labelled``, at creation, at a hand-off and when a ticket is
loaded from a snapshot), and the exporter exposes the series its later facts
may increase at 0, because Prometheus' ``increase()`` cannot see the first
sample of a series (a counter born at 1 hides its first increment: the first
breach of a label set would page no one).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from streams.core.backlog import DeadlineFigures, Gauges
from streams.core.facts import REJECT_REASONS
from streams.core.transaction import (
    Fact,
    HistogramSeries,
    SeriesTables,
    add_facts,
    prime,
    report_facts,
)
from streams.core.vocabulary import TARGETS
from streams.export.catalogue import BY_NAME, CATALOGUE, PREFIX, Metric
from streams.export.text import ExpositionText


class GaugeSource(Protocol):
    def backlog(self, now: float) -> tuple[Gauges, DeadlineFigures]:
        """The backlog gauges and the deadline figures at ``now`` (one pass: every scrape)."""
        ...


class Exporter(Collector):
    """A ``FactSink`` that serves what it was told as Prometheus metrics."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.counters: dict[str, dict[tuple[str, ...], float]] = {}
        self.histograms: dict[str, dict[tuple[str, ...], HistogramSeries]] = {}
        self._bounds: dict[str, tuple[float, ...]] = {}
        for metric in CATALOGUE:
            if metric.kind == "counter":
                # a metric without labels is exposed from the start, at 0
                self.counters[metric.name] = {} if metric.labels else {(): 0.0}
            elif metric.kind == "histogram":
                self._bounds[metric.name] = metric.buckets
                self.histograms[metric.name] = (
                    {} if metric.labels else {(): HistogramSeries(len(metric.buckets))}
                )
        # every rejection reason exposed from the start, so a rejected share reads 0, not nothing
        for reason in REJECT_REASONS:
            self.counters["events_rejected"][(reason,)] = 0.0
        self._primed: set[tuple[str, ...]] = set()  # label sets already labelled
        # take_facts may do inc/observe itself only when a subclass changes neither
        cls = type(self)
        self._plain = (
            cls.inc is Exporter.inc
            and cls.observe is Exporter.observe
            and cls.labelled is Exporter.labelled
        )
        # the engine adds to the series itself (FactBuffer), unless a subclass sees each fact
        self.fact_tables = (
            SeriesTables(self.counters, self.histograms, self._bounds, self._primed)
            if self._plain
            else None
        )
        self.registry.register(self)
        self._others: list[Collector] = []  # the collectors added with add_collector
        self._text = ExpositionText(self.counters, self.histograms)

    # ---- FactSink ------------------------------------------------------------------------

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        series = self.counters[metric]
        series[labels] = series.get(labels, 0.0) + amount

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        series = self.histograms[metric]
        histogram = series.get(labels)
        if histogram is None:
            histogram = series[labels] = HistogramSeries(len(self._bounds[metric]))
        # le is inclusive: a value equal to a bound belongs to that bound's bucket
        histogram.buckets[bisect_left(self._bounds[metric], value)] += 1
        histogram.sum += value
        histogram.count += 1

    def take_facts(self, facts: list[Fact]) -> None:
        """One event's facts, in order (``FactBuffer.commit``): as many inc/observe/labelled.

        The engine's per-event path: one call per event, the counter additions in the core
        (``add_facts``: compiled with the core when it is built).
        """
        if not self._plain:  # a subclass (the worker's tally) sees each fact
            report_facts(self, facts)
            return
        add_facts(facts, self.counters, self.histograms, self._bounds, self._primed)

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        """A ticket carries ``labels`` (team, channel, priority, customer_tier, policy).

        Exposes at 0 the met/breached outcomes of each of its policy's ``targets``
        and the (team, channel) abandon counters, unless already there.
        """
        prime(self.counters, self._primed, labels, targets)

    def observe_lag(self, seconds: float) -> None:
        self.observe("event_lag_seconds", (), max(0.0, seconds))

    # ---- exposition ----------------------------------------------------------------------

    def watch(self, source: GaugeSource, now: Callable[[], float]) -> BacklogCollector:
        """Expose the gauges of ``source`` (an engine) evaluated at ``now()`` on every scrape."""
        collector = BacklogCollector(source, now)
        self.add_collector(collector)
        return collector

    def add_collector(self, collector: Collector) -> None:
        """Expose ``collector``'s families too, after the exporter's own."""
        self.registry.register(collector)
        self._others.append(collector)

    def exposition(self) -> bytes:
        """The text exposition: what ``generate_latest(self.registry)`` writes, faster.

        The counters and histograms are rendered with cached series prefixes
        (``text.py``); the collectors added with :meth:`add_collector` through
        prometheus-client.
        """
        own = self._text.render().encode()
        return own + b"".join(generate_latest(_One(c)) for c in self._others)

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        for name, series in self.counters.items():
            metric = BY_NAME[name]
            family = CounterMetricFamily(PREFIX + name, metric.help, labels=metric.labels)
            for labels, value in list(series.items()):  # a copy: the engine may be feeding
                family.add_metric(labels, value)
            yield family
        for name, hseries in self.histograms.items():
            metric = BY_NAME[name]
            bounds = [floatToGoString(b) for b in self._bounds[name]] + ["+Inf"]
            hfamily = HistogramMetricFamily(PREFIX + name, metric.help, labels=metric.labels)
            for labels, histogram in list(hseries.items()):
                cumulative, running = [], 0
                for bound, n in zip(bounds, list(histogram.buckets), strict=True):
                    running += n
                    cumulative.append((bound, float(running)))
                hfamily.add_metric(labels, cumulative, histogram.sum)
            yield hfamily

    def describe(self) -> list[Any]:
        return []  # no registration-time collection


class _One:
    """One collector, in the shape ``generate_latest`` takes."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def collect(self) -> Any:
        return self.collector.collect()


FORGET_AFTER = 7 * 86400.0  # a gauge series empty this long leaves (the tombstone retention)


class BacklogCollector(Collector):
    """The contract's gauges, derived from the engine at scrape time.

    A label set once seen keeps being reported (as 0 when it empties), so a
    backlog that drains reads 0 on the boards rather than "no data" — for
    ``forget_after`` seconds of the clock; then it leaves the exposition, so the
    label sets of forgotten teams and tiers do not stay for ever.
    """

    def __init__(
        self, source: GaugeSource, now: Callable[[], float], forget_after: float = FORGET_AFTER
    ) -> None:
        self.source = source
        self.now = now
        self.forget_after = forget_after
        self._known: dict[str, dict[tuple[str, ...], float]] = {}  # labels -> last seen
        self._at = 0.0  # the clock of the scrape being built

    def _family(self, name: str, values: Mapping[Any, float]) -> GaugeMetricFamily:
        metric: Metric = BY_NAME[name]
        family = GaugeMetricFamily(PREFIX + name, metric.help, labels=metric.labels)
        known = self._known.setdefault(name, {})
        for seen in values:
            known[seen if isinstance(seen, tuple) else (seen,)] = self._at
        horizon = self._at - self.forget_after
        for labels in [labels for labels, seen in known.items() if seen < horizon]:
            del known[labels]
        for labels in sorted(known):
            key: Any = labels if len(labels) > 1 else labels[0]
            family.add_metric(list(labels), float(values.get(key, 0)))
        return family

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._at = self.now()
        gauges, figures = self.source.backlog(now)
        yield self._family("open_tickets", gauges.open_tickets)
        yield self._family("open_tickets_by_channel", gauges.open_by_channel)
        yield self._family("unanswered_tickets", gauges.unanswered)
        # a team whose backlog emptied keeps its series, at 0
        ages = {team: max(0.0, now - created) for team, created in gauges.oldest_created.items()}
        yield self._family("oldest_open_ticket_age_seconds", ages)
        teams = {team for team, *_ in gauges.open_tickets}
        # a team with open tickets but none unanswered and running reads 0
        unanswered = dict.fromkeys(teams, 0.0)
        for team, created in gauges.oldest_unanswered_created.items():
            unanswered[team] = max(0.0, now - created)
        yield self._family("oldest_unanswered_ticket_age_seconds", unanswered)
        for name, values in (
            ("sla_at_risk_tickets", gauges.at_risk),
            ("sla_breached_open_tickets", gauges.breached_open),
        ):
            for team in teams:
                for target in TARGETS:
                    values.setdefault((team, target), 0)
            yield self._family(name, values)
        yield self._family("agents", gauges.agents)
        orphans = GaugeMetricFamily(PREFIX + "orphan_events", BY_NAME["orphan_events"].help)
        orphans.add_metric([], float(gauges.orphan_events))
        yield orphans
        yield from self._deadlines(figures)

    def _deadlines(self, figures: DeadlineFigures) -> Iterator[GaugeMetricFamily]:
        # no series when no clock runs: 0 would read "breaching now"
        name = "sla_next_deadline_seconds"
        family = GaugeMetricFamily(PREFIX + name, BY_NAME[name].help, labels=BY_NAME[name].labels)
        for labels, seconds in sorted(figures.next_deadline.items()):
            family.add_metric(list(labels), seconds)
        yield family
        yield self._family("sla_warning_clocks", figures.warning)
        yield self._family("sla_breached_running_clocks", figures.breached)
