"""A partition's counters and histograms, kept with its state so they survive crashes and moves.

The worker's ``/metrics`` counts what the process applied since it started, as any
Prometheus exporter does: a restart or a moved partition starts the counters again and
``increase()`` adds them up across the reset. A partition's *tally* is its exact total
since its first event: every counter and histogram series the partition's engine
changed is written to the changelog with the tickets, before the partition's clock
record (``records.py``: one record per series, compaction keeps the latest), and read
back with the tickets by whichever worker owns the partition next. It is served at
``/metrics/partition/<p>`` (``pages.py``), with ``/metrics/partitions`` listing a
worker's partitions for Prometheus' ``http_sd_configs``: summed over the workers' partitions,
the tallies equal ``replay`` of the same events exactly, whatever was killed meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from streams.export.catalogue import BY_NAME
from streams.export.exporter import Exporter, HistogramSeries
from streams.worker.records import SERIES_KEY

Labels = tuple[str, ...]
Series = tuple[str, Labels]  # (metric, labels)
Bucketed = tuple[list[int], float, int]  # a histogram's (buckets, sum, count)
CounterSums = dict[str, dict[Labels, float]]
HistogramSums = dict[str, dict[Labels, Bucketed]]
NOT_PERSISTED = frozenset({"event_lag_seconds"})  # wall-clock: when this process saw it


class PartitionTally(Exporter):
    """One partition's counters and histograms since its first event.

    A plain :class:`Exporter` on the engine's path: each event's facts are added in one
    call (``add_facts``), counted once. What changed since the last flush is found at
    the flush (:meth:`take_dirty`, against what was last written), and the process's
    ``/metrics`` figures are summed from the tallies when scraped (:class:`ProcessFigures`):
    a second count and a set entry per fact held the worker's CPU per event at 0.57-0.71
    of the bare engine's (``bench/worker_cpu.py``; 0.83-1.06 without).
    """

    def __init__(self) -> None:
        super().__init__()
        for name in NOT_PERSISTED:
            del self.histograms[name]  # the process's figure, on /metrics only
        self._keys: dict[Series, bytes] = {}  # each series' changelog key, built once
        # what the changelog holds of each series: a counter's value, a histogram's count
        # (a series at its primed 0 reads the same written or not)
        self._written: dict[str, dict[tuple[str, ...], float]] = {
            name: dict(series) for name, series in self.counters.items()
        }
        for name, hseries in self.histograms.items():
            self._written[name] = {labels: h.count for labels, h in hseries.items()}
        # the figures when this process took the partition (see ProcessFigures)
        self.base_counters: dict[str, dict[tuple[str, ...], float]] = {}
        self.base_histograms: dict[str, dict[tuple[str, ...], Bucketed]] = {}

    # ---- persistence ---------------------------------------------------------------------

    def take_dirty(self, partition: int) -> Iterator[tuple[bytes, Any]]:
        """(changelog key, body) of every series changed since the last call."""
        keys, written = self._keys, self._written
        for metric, series in self.counters.items():
            done = written[metric]
            for labels, value in series.items():
                if done.get(labels) != value:
                    done[labels] = value
                    yield self._key(keys, partition, metric, labels), value
        for metric, hseries in self.histograms.items():
            done = written[metric]
            for labels, h in hseries.items():
                if done.get(labels) != h.count:
                    done[labels] = h.count
                    yield self._key(keys, partition, metric, labels), [h.buckets, h.sum, h.count]

    @staticmethod
    def _key(keys: dict[Series, bytes], partition: int, metric: str, labels: Labels) -> bytes:
        key = keys.get((metric, labels))
        if key is None:
            key = keys[metric, labels] = SERIES_KEY + series_key(partition, (metric, labels))
        return key

    def restore(self, series: Series, body: Any) -> None:
        """Adopt a stored series (a :meth:`take_dirty` body)."""
        metric, labels = series
        if metric in self.counters:
            self.counters[metric][labels] = self._written[metric][labels] = float(body)
            return
        buckets, total, count = body
        Exporter.observe(self, metric, labels, 0.0)  # the series, with the catalogue's buckets
        histogram = self.histograms[metric][labels]
        if len(buckets) != len(histogram.buckets):
            raise ValueError(f"stored {metric} has {len(buckets)} buckets, not the catalogue's")
        histogram.buckets = [int(n) for n in buckets]
        histogram.sum, histogram.count = float(total), int(count)
        self._written[metric][labels] = histogram.count

    # ---- the process's share -------------------------------------------------------------

    def mark(self) -> None:
        """This process takes the partition now: its figures so far are not the process's."""
        self.base_counters = {name: dict(series) for name, series in self.counters.items()}
        self.base_histograms = {
            name: {labels: (list(h.buckets), h.sum, h.count) for labels, h in hseries.items()}
            for name, hseries in self.histograms.items()
        }

    def add_since_mark(self, counters: CounterSums, histograms: HistogramSums) -> None:
        """Add what was applied since :meth:`mark` to these sums, per series.

        Called from the exposition's thread while the engine feeds the tally: the copies
        keep the iteration safe, and a figure read a little later is still a right one.
        """
        for name, series in list(self.counters.items()):
            base = self.base_counters.get(name, {})
            sums = counters.setdefault(name, {})
            for labels, value in list(series.items()):
                sums[labels] = sums.get(labels, 0.0) + (value - base.get(labels, 0.0))
        for name, hseries in list(self.histograms.items()):
            hbase = self.base_histograms.get(name, {})
            hsums = histograms.setdefault(name, {})
            for labels, h in list(hseries.items()):
                buckets, total, count = list(h.buckets), h.sum, h.count
                was = hbase.get(labels)
                if was is not None:
                    buckets = [a - b for a, b in zip(buckets, was[0], strict=True)]
                    total, count = total - was[1], count - was[2]
                held = hsums.get(labels)
                if held is not None:
                    buckets = [a + b for a, b in zip(buckets, held[0], strict=True)]
                    total, count = total + held[1], count + held[2]
                hsums[labels] = (buckets, total, count)


class Retired:
    """The process's share of the partitions it no longer owns (frozen: nothing adds to them)."""

    def __init__(self) -> None:
        self.counters: CounterSums = {}
        self.histograms: HistogramSums = {}

    def add_since_mark(self, counters: CounterSums, histograms: HistogramSums) -> None:
        for name, series in self.counters.items():
            sums = counters.setdefault(name, {})
            for labels, value in series.items():
                sums[labels] = sums.get(labels, 0.0) + value
        for name, hseries in self.histograms.items():
            hsums = histograms.setdefault(name, {})
            for labels, (buckets, total, count) in hseries.items():
                held = hsums.get(labels)
                if held is not None:
                    buckets = [a + b for a, b in zip(buckets, held[0], strict=True)]
                    total, count = total + held[1], count + held[2]
                hsums[labels] = (list(buckets), total, count)


class ProcessFigures:
    """The worker's ``/metrics`` counters and histograms: what this process applied since it
    started, summed from the partitions' tallies when scraped.

    Each partition's tally counts its facts once; the process's figure of a series is
    the sum over the partitions it owns of their increase since it took them
    (:meth:`PartitionTally.mark`), plus that of the partitions it owned before. A figure
    never goes down: a partition that moves away keeps its share here (``Retired``), one
    that comes (back) starts from its stored figures. ``sources`` is replaced whole, never
    changed in place, so the exposition's thread sums a consistent list.
    """

    def __init__(self, exporter: Exporter) -> None:
        self.exporter = exporter  # the process's: the sums are written into its series
        self.retired = Retired()
        self.sources: list[Retired | PartitionTally] = [self.retired]

    def add(self, tally: PartitionTally) -> None:
        """A partition taken (on the event loop, before any of its events)."""
        tally.mark()
        self.sources = [*self.sources, tally]

    def remove(self, gone: list[PartitionTally]) -> None:
        """Partitions moved away: their share is kept, they are summed no more."""
        if not gone:
            return
        retired = Retired()
        self.retired.add_since_mark(retired.counters, retired.histograms)
        for tally in gone:
            tally.add_since_mark(retired.counters, retired.histograms)
        self.retired = retired
        self.sources = [retired, *(s for s in self.sources[1:] if s not in gone)]

    def refresh(self) -> None:
        """Write the sums into the exporter's series (before an exposition)."""
        counters: CounterSums = {}
        histograms: HistogramSums = {}
        for source in self.sources:
            source.add_since_mark(counters, histograms)
        exporter = self.exporter
        for name, sums in counters.items():
            exporter.counters[name].update(sums)
        for name, hsums in histograms.items():
            series = exporter.histograms[name]
            size = len(BY_NAME[name].buckets)
            for labels, (buckets, total, count) in hsums.items():
                histogram = series.get(labels)
                if histogram is None:
                    histogram = series[labels] = HistogramSeries(size)
                histogram.buckets, histogram.sum, histogram.count = buckets, total, count


def series_key(partition: int, series: Series) -> bytes:
    """The part of a series record's key after ``records.SERIES_KEY``: ``<p>:[metric, labels]``.

    The partition is in the key: every partition has the same series names, and a
    recovery reads several partitions into one mapping of keys.
    """
    return b"%d:" % partition + orjson.dumps([series[0], list(series[1])])


def series_from_key(raw: bytes) -> Series:
    metric, labels = orjson.loads(raw[raw.index(b":") + 1 :])
    return str(metric), tuple(str(v) for v in labels)
