"""``histogram_quantile`` pairs of recording rules from one query of their buckets.

The rules' p50 and p90 of a histogram (``histogram_quantile(0.5, sum by (team, le)
(rate(x_bucket[5m]))) and on (team) (sum by (team) (rate(x_count[5m])) > 0)`` and the
same with 0.9) each make Prometheus compute the same bucket rates of every team at every
instant: over half the rules pass's query time on the bank month. Here the rules of one
shape that differ only in the quantile are evaluated together: Prometheus computes the
bucket sums once, where the filter keeps them (one ``query_range``), and the quantiles
are computed here exactly as Prometheus 2.42 does (``promql/quantile.go``: buckets sorted
by bound, equal bounds coalesced, counts made monotonic, NaN without a ``+Inf`` bucket,
with fewer than two buckets or no observation, a binary search for the rank's bucket,
linear interpolation within it; ``le`` labels that are no number skipped).
``tests/integration/test_history_quantiles.py`` checks the results equal Prometheus's on
the edge cases; docs/history.md, "Quantile pairs".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Series = dict[str, Any]  # a query_range result: {"metric": {...}, "values": [[t, "v"], ...]}
QueryRange = Callable[[str], list[Series]]

_AND_ON = re.compile(r"\s*and\s+on\s*\(([\w\s,]*)\)\s*(\(.*\))\s*$", re.S)
_NUMBER = re.compile(r"\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


@dataclass(frozen=True)
class QuantileShape:
    """What a ``histogram_quantile`` rule computes but for its quantile: the buckets'
    expression, and the filter ``and on (labels) (filter)`` if any."""

    buckets: str
    on: tuple[str, ...] | None  # None: no filter
    filter: str

    def query(self) -> str:
        """The buckets where the filter keeps their quantile: ``histogram_quantile(q, B
        and on (L) (F))`` is ``histogram_quantile(q, B) and on (L) (F)``, as the buckets
        of one quantile share every label but ``le`` (not in ``L``). Prometheus then sends
        no bucket of an instant the filter drops (a team's night: no observation in the
        window), a third or more of the answer."""
        if self.on is None:
            return self.buckets
        return f"({self.buckets}) and on ({', '.join(self.on)}) ({self.filter})"


def _skip_string(text: str, i: int) -> int:
    """The index after the string literal opening at ``i`` (``"..."``, ``'...'`` with
    backslash escapes, or a raw `` `...` ``); len(text) if it never closes."""
    quote, i = text[i], i + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return i + 1


def _scan(text: str, start: int) -> list[tuple[int, str]]:
    """(index, character) of the parentheses and commas of ``text`` from ``start``
    outside string literals."""
    out, i = [], start
    while i < len(text):
        if text[i] in "\"'`":
            i = _skip_string(text, i)
            continue
        if text[i] in "(),":
            out.append((i, text[i]))
        i += 1
    return out


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at ``start``; -1 if none."""
    depth = 0
    for i, char in _scan(text, start):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i
    return -1


def _top_comma(text: str) -> int:
    depth = 0
    for i, char in _scan(text, 0):
        if char == "," and depth == 0:
            return i
        depth += {"(": 1, ")": -1}.get(char, 0)
    return -1


def parse(expr: str) -> tuple[float, QuantileShape] | None:
    """``(q, shape)`` of ``histogram_quantile(q, B) [and on (L) (F)]`` with a literal
    ``q``; None for any other expression (evaluated by Prometheus as it is)."""
    text = expr.strip()
    head = "histogram_quantile"
    if not text.startswith(head) or "#" in text:
        return None
    open_at = len(head) + len(text[len(head) :]) - len(text[len(head) :].lstrip())
    if open_at >= len(text) or text[open_at] != "(":
        return None
    close = _closing(text, open_at)
    if close < 0:
        return None
    args = text[open_at + 1 : close]
    comma = _top_comma(args)
    number = _NUMBER.match(args[:comma]) if comma > 0 else None
    if number is None:
        return None
    q, buckets = float(number.group(1)), args[comma + 1 :].strip()
    rest = text[close + 1 :]
    if not rest.strip():
        return q, QuantileShape(buckets, None, "")
    found = _AND_ON.match(rest)
    if found is None or _closing(found.group(2), 0) != len(found.group(2)) - 1:
        return None
    on = tuple(sorted(label.strip() for label in found.group(1).split(",") if label.strip()))
    if "le" in on:
        return None
    return q, QuantileShape(buckets, on, found.group(2)[1:-1].strip())


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus 2.42's ``bucketQuantile`` over (upper bound, cumulative count) pairs."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if not ordered or not math.isinf(ordered[-1][0]) or ordered[-1][0] < 0:
        return math.nan
    merged: list[list[float]] = []
    for bound, count in ordered:  # coalesceBuckets
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    highest = -math.inf
    for bucket in merged:  # ensureMonotonic (a NaN count is left as it is)
        if bucket[1] > highest:
            highest = bucket[1]
        elif bucket[1] < highest:
            bucket[1] = highest
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = _search(len(merged) - 1, lambda i: merged[i][1] >= rank)
    if b == len(merged) - 1:
        return merged[-2][0]
    if b == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[b][0], merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    return start + (end - start) * _divide(rank, count)


def _search(n: int, found: Callable[[int], bool]) -> int:
    """Go's ``sort.Search``: a binary search, so with a NaN count (never ``>=``) not always
    the first bucket reaching the rank; the same as a scan where counts are monotonic."""
    i, j = 0, n
    while i < j:
        h = (i + j) >> 1
        if found(h):
            j = h
        else:
            i = h + 1
    return i


def _divide(a: float, b: float) -> float:
    """``a / b`` as IEEE 754 (and Go) divide: 0 / 0 is NaN, x / 0 an infinity (q = 0 on a
    first bucket without observation), where Python raises."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _bound(le: str) -> float | None:
    """An ``le`` label as Go's ``strconv.ParseFloat`` reads it (None: skipped): Python's
    ``float`` also takes spaces around and ``_`` between digits, Go's does not (hexadecimal
    bounds, which Go reads, are skipped here: no exporter writes them)."""
    if "_" in le or le != le.strip():
        return None
    try:
        return float(le)
    except ValueError:
        return None


def vector_quantile(q: float, bounds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """:func:`bucket_quantile` at many instants at once: ``bounds`` sorted, distinct, the
    last +Inf, at least two; ``counts`` (bucket x instant) without NaN."""
    counts = np.maximum.accumulate(counts, axis=0)
    observations = counts[-1]
    rank = q * observations
    last = len(bounds) - 1
    reached = counts[:-1] >= rank
    b = np.where(reached.any(axis=0), reached.argmax(axis=0), last)
    columns = np.arange(counts.shape[1])
    below = np.where(b > 0, counts[np.maximum(b - 1, 0), columns], 0.0)
    start = np.where(b > 0, bounds[np.maximum(b - 1, 0)], 0.0)
    end = bounds[np.minimum(b, last)]
    upto = counts[np.minimum(b, last), columns]
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = start + (end - start) * ((rank - below) / (upto - below))
    out = np.where(b == last, bounds[last - 1], inside)
    out = np.where((b == 0) & (bounds[0] <= 0), bounds[0], out)
    return np.where(observations == 0, np.nan, out)


def value_text(value: float) -> str:
    """A float as Prometheus's API writes it (any text that reads back the same float)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def _groups(series: list[Series]) -> dict[tuple[tuple[str, str], ...], list[tuple[float, Series]]]:
    """The bucket series by their labels but ``le`` (histogram_quantile's output series)."""
    out: dict[tuple[tuple[str, str], ...], list[tuple[float, Series]]] = {}
    for one in series:
        metric = one["metric"]
        bound = _bound(str(metric.get("le", "")))
        if bound is None:
            continue
        key = tuple(sorted((k, v) for k, v in metric.items() if k not in ("le", "__name__")))
        out.setdefault(key, []).append((bound, one))
    return out


def quantiles(
    qs: Sequence[float], bucket_series: list[Series], start: float, step: float, count: int
) -> list[list[Series]]:
    """For each of ``qs``, the query_range result of ``histogram_quantile(q, B)`` over
    ``count`` instants every ``step`` from ``start``, given the result of ``B``'s (the
    ``QuantileShape.query``) over the same instants."""
    times = [start + i * step for i in range(count)]
    out: list[list[Series]] = [[] for _ in qs]
    for group, members in _groups(bucket_series).items():
        labels = dict(group)
        present = np.zeros((len(members), count), dtype=bool)
        counts = np.zeros((len(members), count))
        for row, (_bound_of, one) in enumerate(members):
            at = _indices(one["values"], start, step)
            present[row, at] = True
            counts[row, at] = np.fromiter(
                map(float, (v for _, v in one["values"])), dtype=np.float64, count=len(at)
            )
        bounds = np.array([b for b, _ in members])
        where: np.ndarray = np.asarray(present.any(axis=0))
        values = _evaluate(qs, bounds, counts, present, where)
        columns = np.flatnonzero(where)
        for index, evaluated in enumerate(values):
            texts = [value_text(v) for v in evaluated[columns].tolist()]
            stamped = [[times[c], t] for c, t in zip(columns.tolist(), texts, strict=True)]
            out[index].append({"metric": labels, "values": stamped})
    return out


def _indices(values: list[list[Any]], start: float, step: float) -> np.ndarray:
    """The instants' indices of a series' ``[t, value]`` pairs."""
    times = np.fromiter((t for t, _ in values), dtype=np.float64, count=len(values))
    return np.rint((times - start) / step).astype(np.int64)


def _evaluate(
    qs: Sequence[float],
    bounds: np.ndarray,
    counts: np.ndarray,
    present: np.ndarray,
    where: np.ndarray,
) -> list[np.ndarray]:
    """Each quantile at the instants of ``where``: vectorised where every bucket is present
    and the buckets are well formed, one instant at a time (:func:`bucket_quantile`) else."""
    order = np.argsort(bounds, kind="stable")
    bounds, counts, present = bounds[order], counts[order], present[order]
    regular = (
        len(bounds) >= 2
        and bool(np.isinf(bounds[-1]) and bounds[-1] > 0)
        and len(np.unique(bounds)) == len(bounds)
        and not np.isnan(bounds).any()
    )
    fast: np.ndarray = where & present.all(axis=0) & ~np.isnan(counts).any(axis=0)
    if not regular:
        fast = np.zeros_like(where)
    results = [np.full(counts.shape[1], np.nan) for _ in qs]
    if fast.any():
        for result, q in zip(results, qs, strict=True):
            if 0 <= q <= 1:
                result[fast] = vector_quantile(q, bounds, counts[:, fast])
            else:
                result[fast] = bucket_quantile(q, [(math.inf, 1.0)])
    for column in np.flatnonzero(where & ~fast).tolist():
        buckets = [
            (float(b), float(c))
            for b, c, p in zip(bounds, counts[:, column], present[:, column], strict=True)
            if p
        ]
        for result, q in zip(results, qs, strict=True):
            result[column] = bucket_quantile(q, buckets) if buckets else math.nan
    return results
