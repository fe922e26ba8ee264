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

from streams.core.vocabulary import OUTCOMES
from streams.export.exporter import Exporter
from streams.worker.records import SERIES_KEY

Series = tuple[str, tuple[str, ...]]  # (metric, labels)
NOT_PERSISTED = frozenset({"event_lag_seconds"})  # wall-clock: when this process saw it


class PartitionTally(Exporter):
    """One partition's counters and histograms; remembers which series changed.

    The ``FactSink`` of the partition's engine: every fact also goes to ``process``, the
    worker's exporter (``/metrics``), in the same call (a tee of two sinks cost the
    worker 8 % of its events/s).
    """

    def __init__(self, process: Exporter) -> None:
        super().__init__()
        for name in NOT_PERSISTED:
            del self.histograms[name]  # the process's figure, on /metrics only
        self.process = process
        self._process_counters = process.counters
        self.dirty: set[Series] = set()
        self._keys: dict[Series, bytes] = {}  # each series' changelog key, built once

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        series = self.counters[metric]
        series[labels] = series.get(labels, 0.0) + amount
        shared = self._process_counters[metric]
        shared[labels] = shared.get(labels, 0.0) + amount
        self.dirty.add((metric, labels))

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self.process.observe(metric, labels, value)
        if metric in NOT_PERSISTED:
            return
        super().observe(metric, labels, value)
        self.dirty.add((metric, labels))

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        self.process.labelled(labels, targets)
        if labels in self._primed:
            return
        super().labelled(labels, targets)
        dirty = self.dirty
        for target in targets:
            for outcome in OUTCOMES:
                dirty.add(("sla_outcomes", (*labels, target, outcome)))
        for name in ("contacts_abandoned", "contacts_abandoned_short"):
            dirty.add((name, labels[:2]))

    # ---- persistence ---------------------------------------------------------------------

    def take_dirty(self, partition: int) -> Iterator[tuple[bytes, Any]]:
        """(changelog key, body) of every series changed since the last call (and clears them)."""
        counters, histograms, keys = self.counters, self.histograms, self._keys
        for series in self.dirty:
            key = keys.get(series)
            if key is None:
                key = keys[series] = SERIES_KEY + series_key(partition, series)
            metric, labels = series
            if metric in counters:
                yield key, counters[metric][labels]
            else:
                h = histograms[metric][labels]
                yield key, [h.buckets, h.sum, h.count]
        self.dirty.clear()

    def restore(self, series: Series, body: Any) -> None:
        """Adopt a stored series (a :meth:`take_dirty` body)."""
        metric, labels = series
        if metric in self.counters:
            self.counters[metric][labels] = float(body)
            return
        buckets, total, count = body
        Exporter.observe(self, metric, labels, 0.0)  # the series, with the catalogue's buckets
        histogram = self.histograms[metric][labels]
        if len(buckets) != len(histogram.buckets):
            raise ValueError(f"stored {metric} has {len(buckets)} buckets, not the catalogue's")
        histogram.buckets = [int(n) for n in buckets]
        histogram.sum, histogram.count = float(total), int(count)


def series_key(partition: int, series: Series) -> bytes:
    """The part of a series record's key after ``records.SERIES_KEY``: ``<p>:[metric, labels]``.

    The partition is in the key: every partition has the same series names, and a
    recovery reads several partitions into one mapping of keys.
    """
    return b"%d:" % partition + orjson.dumps([series[0], list(series[1])])


def series_from_key(raw: bytes) -> Series:
    metric, labels = orjson.loads(raw[raw.index(b":") + 1 :])
    return str(metric), tuple(str(v) for v in labels)
