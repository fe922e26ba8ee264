"""Timestamped OpenMetrics for backfilling: the exporter's series sampled at event times.

prometheus-client writes no timestamps, so ``ChangeWriter`` formats the samples itself, each
series only where it changes, with what Prometheus' queries need around the changes (see its
docstring).
``promtool tsdb create-blocks-from openmetrics`` wants ``# EOF`` at the end, timestamps in
seconds and, per series, samples in time order (out-of-order samples are dropped silently);
OpenMetrics also wants the samples of one family together. A ``Chunk`` therefore spools each
family to its own temporary file while snapshots come in time order, and ``close`` joins
them, family by family, into one file. Memory is one snapshot, whatever the span.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from prometheus_client.metrics_core import Metric as Family
from prometheus_client.utils import floatToGoString

from streams.export.catalogue import BY_NAME, PREFIX
from streams.export.exporter import Exporter

BUFFER = 4 << 20  # characters held before the spools are written
_KINDS = {"counter": "counter", "histogram": "histogram", "gauge": "gauge"}


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_text(name: str, labels: Iterable[tuple[str, str]]) -> str:
    """``name{a="x",b="y"}`` with escaped values (``name`` alone without labels)."""
    inner = ",".join(f'{key}="{escape(value)}"' for key, value in labels)
    return f"{name}{{{inner}}}" if inner else name


def timestamp_text(t: float) -> str:
    """Seconds, as OpenMetrics wants them; whole seconds without a fraction."""
    return str(int(t)) if t == int(t) else f"{t:.3f}"


class Chunk:
    """One OpenMetrics file being written, family by family, from time-ordered snapshots."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._spool = Path(tempfile.mkdtemp(prefix="spool-", dir=path.parent))
        self._files: dict[str, IO[str]] = {}
        self._headers: dict[str, str] = {}
        self._buffered: dict[str, list[str]] = {}  # written to the spools a few MB at a time
        self._size = 0
        self.samples = 0

    def add(self, family: str, kind: str, help_text: str, lines: list[str]) -> None:
        """Append already formatted sample lines (each ending in a newline) of ``family``."""
        self.add_text(family, kind, help_text, "".join(lines), len(lines))

    def add_text(self, family: str, kind: str, help_text: str, text: str, samples: int) -> None:
        """Append ``samples`` formatted sample lines given as one text."""
        spool = self._files.get(family)
        if spool is None:
            spool = self._files[family] = open(  # noqa: SIM115 - closed in close()
                self._spool / f"{len(self._files)}.om", "w", encoding="utf-8"
            )
            kind = _KINDS.get(kind, "unknown")
            self._headers[family] = f"# HELP {family} {escape(help_text)}\n# TYPE {family} {kind}\n"
            self._buffered[family] = []
        self._buffered[family].append(text)
        self._size += len(text)
        self.samples += samples
        if self._size > BUFFER:
            self._spill()

    def _spill(self) -> None:
        for family, texts in self._buffered.items():
            if texts:
                self._files[family].write("".join(texts))
                texts.clear()
        self._size = 0

    def close(self) -> Path:
        """Join the families into ``path`` with the ``# EOF`` promtool needs."""
        self._spill()
        with open(self.path, "w", encoding="utf-8") as out:
            for family, spool in self._files.items():
                spool.close()
                out.write(self._headers[family])
                with open(spool.name, encoding="utf-8") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
            out.write("# EOF\n")
        shutil.rmtree(self._spool, ignore_errors=True)
        return self.path

    def discard(self) -> None:
        for spool in self._files.values():
            spool.close()
        shutil.rmtree(self._spool, ignore_errors=True)
        if self.path.exists():
            os.unlink(self.path)


class TrackingExporter(Exporter):
    """An exporter that remembers which series changed since the last snapshot."""

    def __init__(self) -> None:
        super().__init__()
        self.dirty: set[tuple[str, tuple[str, ...]]] = set()

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        super().inc(metric, labels, amount)
        self.dirty.add((metric, labels))

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        super().observe(metric, labels, value)
        self.dirty.add((metric, labels))


class _FamilyText:
    """The formatted ``name{labels} value`` lines of one family, without timestamps."""

    __slots__ = ("index", "texts")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.index: dict[tuple[str, ...], int] = {}


@dataclass(frozen=True)
class GaugeRows:
    """One gauge family's samples at an instant: ``(label values, value)`` rows."""

    name: str
    help: str
    labels: tuple[str, ...]
    rows: list[tuple[tuple[str, ...], float]]


class ChangeWriter:
    """Writes each series where it changes, the value it had one step before each change,
    and every series at each ``refresh`` instant; nothing else.

    Why that is enough for Prometheus' queries over the blocks (docs/history.md, "Samples
    where they change"):

    * an instant query at any sampled instant sees the value it would see with a sample
      every step: the newest sample at or before it holds the current value (any change
      was written when it happened) and is at most ``refresh`` old, within the 5-minute
      lookback;
    * ``rate``/``increase``/``delta`` see every change between the same two steps as with
      a sample every step (the value before each change is written one step before it),
      and ``refresh`` at most half of 5 minutes keeps two samples of an unchanged series
      in every 5-minute window, so a ``[5m]`` rate of it is 0, not missing.

    A counter or histogram series new since the previous step is written as 0 one step
    before its first value (the zero a live exporter shows from the label set's creation),
    so ``increase()`` counts its first increment too.

    ``write`` must be called at every step, in time order; ``full`` (the refresh instants,
    the first sample of each chunk and the last sample) writes every series.
    """

    def __init__(self, exporter: TrackingExporter, step: float) -> None:
        self.exporter = exporter
        self.step = step
        self._families: dict[str, _FamilyText] = {}
        self._written: dict[tuple[str, tuple[str, ...]], float] = {}  # last written at
        self._full_at = -math.inf  # every series was written then
        self._gauges: dict[str, dict[str, tuple[float, float]]] = {}  # prefix -> value, at
        self._bucket_prefixes: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._gauge_prefixes: dict[tuple[str, tuple[str, ...]], str] = {}
        self._prefixes: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._last_rows: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        exporter.dirty.clear()
        for name, series in exporter.counters.items():
            exporter.dirty.update((name, labels) for labels in series)
        for name, hseries in exporter.histograms.items():
            exporter.dirty.update((name, labels) for labels in hseries)

    def write(
        self,
        chunk: Chunk,
        t: float,
        gauges: Iterable[GaugeRows | Family] = (),
        full: bool = False,
        before: Chunk | None = None,
    ) -> int:
        """The samples at ``t`` (and the values before the changes at ``t - step``, into
        ``before`` when that instant belongs to the previous chunk); how many were written."""
        ts = " " + timestamp_text(t) + "\n"
        prior = t - self.step
        ts_prior = " " + timestamp_text(prior) + "\n"
        earlier = before if before is not None else chunk
        written = self._write_exporter(chunk, earlier, ts, ts_prior, t, prior, full)
        for gauge in gauges:
            rows = gauge if isinstance(gauge, GaugeRows) else _rows(gauge)
            written += self._write_gauge(chunk, earlier, rows, ts, ts_prior, t, prior, full)
        if full:
            self._full_at = t
        return written

    def _write_exporter(
        self, chunk: Chunk, earlier: Chunk, ts: str, ts_prior: str, t: float, prior: float,
        full: bool,
    ) -> int:  # fmt: skip
        exporter = self.exporter
        now: dict[str, list[str]] = {}
        then: dict[str, list[str]] = {}
        for key in exporter.dirty:
            name, labels = key
            family = self._families.get(name)
            if family is None:
                family = self._families[name] = _FamilyText()
            at = family.index.get(labels)
            lines = self._lines(name, labels)
            if at is None:  # new: its zero one step before
                family.index[labels] = len(family.texts)
                family.texts.extend(lines)
                then.setdefault(name, []).extend(self._zero_lines(name, labels))
            else:
                old = family.texts[at : at + len(lines)]
                if max(self._written.get(key, -math.inf), self._full_at) < prior:
                    then.setdefault(name, []).extend(old)
                family.texts[at : at + len(lines)] = lines
            if not full:
                now.setdefault(name, []).extend(lines)
                self._written[key] = t
        exporter.dirty.clear()
        count = 0
        for name, texts in then.items():
            metric = BY_NAME[name]
            earlier.add_text(PREFIX + name, metric.kind, metric.help, ts_prior.join(texts)
                             + ts_prior, len(texts))  # fmt: skip
            count += len(texts)
        if full:
            now = {name: family.texts for name, family in self._families.items()}
        for name, texts in now.items():
            if texts:
                metric = BY_NAME[name]
                chunk.add_text(PREFIX + name, metric.kind, metric.help, ts.join(texts) + ts,
                               len(texts))  # fmt: skip
                count += len(texts)
        return count

    def _lines(self, name: str, labels: tuple[str, ...]) -> list[str]:
        key = (name, labels)
        prefixes = self._prefixes.get(key)
        metric = BY_NAME[name]
        if prefixes is None:
            pairs = list(zip(metric.labels, labels, strict=True))
            if metric.kind == "counter":
                prefixes = (series_text(f"{PREFIX}{name}_total", pairs) + " ",)
            else:
                prefixes = (
                    *self._buckets(PREFIX + name, metric.labels, labels, metric.buckets),
                    series_text(f"{PREFIX}{name}_count", pairs) + " ",
                    series_text(f"{PREFIX}{name}_sum", pairs) + " ",
                )
            self._prefixes[key] = prefixes
        if metric.kind == "counter":
            return [prefixes[0] + repr(self.exporter.counters[name][labels])]
        histogram = self.exporter.histograms[name][labels]
        values = [*map(str, _cumulative(histogram.buckets)), str(histogram.count),
                  repr(histogram.sum)]  # fmt: skip
        return [prefix + value for prefix, value in zip(prefixes, values, strict=True)]

    def _zero_lines(self, name: str, labels: tuple[str, ...]) -> list[str]:
        """The series' lines at 0 (after :meth:`_lines`, which caches its prefixes)."""
        return [prefix + "0" for prefix in self._prefixes[(name, labels)]]

    def _write_gauge(
        self, chunk: Chunk, earlier: Chunk, gauge: GaugeRows, ts: str, ts_prior: str,
        t: float, prior: float, full: bool,
    ) -> int:  # fmt: skip
        if not full and self._last_rows.get(gauge.name) == gauge.rows:
            return 0  # nothing changed since the previous instant
        self._last_rows[gauge.name] = gauge.rows
        last = self._gauges.setdefault(gauge.name, {})
        prefixes = self._gauge_prefixes
        full_at = self._full_at
        now: list[str] = []
        then: list[str] = []
        for labels, value in gauge.rows:
            key = (gauge.name, labels)
            prefix = prefixes.get(key)
            if prefix is None:
                prefix = prefixes[key] = (
                    series_text(gauge.name, zip(gauge.labels, labels, strict=True)) + " "
                )
            seen = last.get(prefix)
            if seen is None or seen[1] < full_at:  # new, or back after missing a refresh
                pass
            elif seen[0] != value:
                if seen[1] < prior:
                    then.append(prefix + _number(seen[0]))
            elif not full:
                continue
            now.append(prefix + _number(value))
            last[prefix] = (value, t)
        if then:
            earlier.add(gauge.name, "gauge", gauge.help, [line + ts_prior for line in then])
        if now:
            chunk.add(gauge.name, "gauge", gauge.help, [line + ts for line in now])
        return len(now) + len(then)

    def _buckets(
        self,
        family: str,
        names: tuple[str, ...],
        labels: tuple[str, ...],
        bounds: tuple[float, ...],
    ) -> tuple[str, ...]:
        key = (family, labels)
        prefixes = self._bucket_prefixes.get(key)
        if prefixes is None:
            pairs = list(zip(names, labels, strict=True))
            prefixes = self._bucket_prefixes[key] = tuple(
                series_text(family + "_bucket", [*pairs, ("le", le)]) + " "
                for le in [floatToGoString(b) for b in bounds] + ["+Inf"]
            )
        return prefixes


def _number(value: float) -> str:
    """A sample value as Go parses it (``repr`` but for the infinities and NaN)."""
    return repr(value) if math.isfinite(value) else floatToGoString(value)


def _rows(family: Family) -> GaugeRows:
    """A prometheus-client gauge family as rows (its label names from the first sample)."""
    names: tuple[str, ...] = ()
    rows = []
    for sample in family.samples:
        names = tuple(sample.labels)
        rows.append((tuple(sample.labels.values()), float(sample.value)))
    return GaugeRows(family.name, family.documentation, names, rows)


def _cumulative(buckets: list[int]) -> list[int]:
    running = 0
    out = []
    for n in buckets:
        running += n
        out.append(running)
    return out
