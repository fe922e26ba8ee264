"""The text exposition of the exporter's counters and histograms, fast.

``prometheus_client.generate_latest`` builds a ``Sample`` with a label dict for every
line, then sorts, escapes and formats those labels again at every scrape: about 80 ms
for the 9,000 lines of a worker an hour into a busy day, on the event loop's core. The
series' label sets never change once created, so here each series' ``name{labels} ``
prefix is formatted once and a scrape only formats the numbers. The output is the same
bytes ``generate_latest`` writes for the same families (tests/unit/export/test_text.py
compares them); gauges and other collectors still go through ``generate_latest``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from prometheus_client.utils import floatToGoString

from streams.export.catalogue import BY_NAME, PREFIX

Series = Mapping[tuple[str, ...], float]


class HistogramCounts(Protocol):
    """One label set's histogram: bucket counts (non-cumulative, +Inf last) and sum."""

    @property
    def buckets(self) -> Sequence[int]: ...

    @property
    def sum(self) -> float: ...


HistogramSeries = Mapping[tuple[str, ...], HistogramCounts]


def escape(value: str) -> str:
    """A label value as the text format wants it (backslash, newline and quote escaped)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def series_prefix(name: str, pairs: Iterable[tuple[str, str]]) -> str:
    """``name{a="x",b="y"} `` with the labels sorted by name, as prometheus-client writes."""
    inner = ",".join(f'{key}="{escape(value)}"' for key, value in sorted(pairs))
    return f"{name}{{{inner}}} " if inner else f"{name} "


def header(name: str, kind: str, help_: str) -> str:
    text = help_.replace("\\", "\\\\").replace("\n", "\\n")
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n"


class ExpositionText:
    """Renders counters and histograms kept by name and label values (the exporter's, which
    it keeps filling: they are read at each render), caching every series' prefix."""

    def __init__(
        self, counters: Mapping[str, Series], histograms: Mapping[str, HistogramSeries]
    ) -> None:
        self.counters = counters
        self.histograms = histograms
        self._counter_prefixes: dict[str, dict[tuple[str, ...], str]] = {}
        # per histogram label set: the prefixes of each bucket, then _count and _sum
        self._histogram_prefixes: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        self._bounds: dict[str, list[str]] = {}
        self._headers: dict[str, str] = {}

    def render(self) -> str:
        out: list[str] = []
        for name, series in self.counters.items():
            out.append(self._header(name, "counter"))
            self._counters(name, series, out)
        for name, hseries in self.histograms.items():
            out.append(self._header(name, "histogram"))
            self._histograms(name, hseries, out)
        return "".join(out)

    def _header(self, name: str, kind: str) -> str:
        text = self._headers.get(name)
        if text is None:
            full = PREFIX + name + ("_total" if kind == "counter" else "")
            text = self._headers[name] = header(full, kind, BY_NAME[name].help)
        return text

    def _counters(self, name: str, series: Series, out: list[str]) -> None:
        prefixes = self._counter_prefixes.setdefault(name, {})
        label_names = BY_NAME[name].labels
        fmt = floatToGoString
        # a copy: in the worker the engine may be feeding while this runs in a thread
        for labels, value in list(series.items()):
            prefix = prefixes.get(labels)
            if prefix is None:
                pairs = zip(label_names, labels, strict=True)
                prefix = prefixes[labels] = series_prefix(f"{PREFIX}{name}_total", pairs)
            out.append(prefix + fmt(value) + "\n")

    def _histograms(self, name: str, hseries: HistogramSeries, out: list[str]) -> None:
        prefixes = self._histogram_prefixes.setdefault(name, {})
        fmt = floatToGoString
        for labels, histogram in list(hseries.items()):
            lines = prefixes.get(labels)
            if lines is None:
                lines = prefixes[labels] = self._histogram_lines(name, labels)
            running = 0
            buckets = list(histogram.buckets)
            for prefix, n in zip(lines, buckets, strict=False):
                running += n
                out.append(prefix + fmt(running) + "\n")
            out.append(lines[-2] + fmt(running) + "\n")
            out.append(lines[-1] + fmt(histogram.sum) + "\n")

    def _histogram_lines(self, name: str, labels: tuple[str, ...]) -> tuple[str, ...]:
        metric = BY_NAME[name]
        bounds = self._bounds.get(name)
        if bounds is None:
            bounds = self._bounds[name] = [floatToGoString(b) for b in metric.buckets] + ["+Inf"]
        pairs = list(zip(metric.labels, labels, strict=True))
        family = PREFIX + name
        return (
            *(series_prefix(family + "_bucket", [*pairs, ("le", le)]) for le in bounds),
            series_prefix(family + "_count", pairs),
            series_prefix(family + "_sum", pairs),
        )
