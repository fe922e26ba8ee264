"""The backfill's histogram quantiles (streams/history/quantiles.py, computed from one query
of the buckets where the filter keeps them) equal a real Prometheus's ``histogram_quantile`` on
the same blocks, at every instant, on hand-made histograms with the edge cases of
``promql/quantile.go``: empty buckets, +Inf alone, no +Inf, counts not monotonic, a bound
below zero, two labels of one bound, NaN, a bucket missing part of the time."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.history.quantiles import parse, quantiles
from tests.integration.test_history import prometheus_on

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        shutil.which("promtool") is None or shutil.which("prometheus") is None,
        reason="needs prometheus and promtool on PATH",
    ),
]

START = 1_793_577_600  # 2026-11-02 00:00 UTC
MINUTES = 120
NAN = math.nan
# team -> {le: observations added each minute (i: the minute)}; the count is the +Inf
# bucket's, or the "count" entry
TEAMS: dict[str, dict[str, Any]] = {
    "regular": {
        "0.5": lambda i: i % 3,
        "1": lambda i: i % 3 + (i % 5),
        "2.5": lambda i: i % 3 + (i % 5) + (i % 7),
        "+Inf": lambda i: i % 3 + (i % 5) + (i % 7) + 2,
    },
    "empty": {"1": lambda i: 0, "+Inf": lambda i: 0},
    "inf_only": {"+Inf": lambda i: 3},
    "no_inf": {"1": lambda i: 1, "2": lambda i: 2, "count": lambda i: 2},
    "not_monotonic": {"1": lambda i: 5, "2": lambda i: 3, "+Inf": lambda i: 6},
    "negative": {
        "-1": lambda i: i % 2,
        "0": lambda i: i % 2,
        "1": lambda i: 2,
        "+Inf": lambda i: 3,
    },
    "two_labels": {"1": lambda i: 1, "1.0": lambda i: 1, "3": lambda i: 3, "+Inf": lambda i: 4},
    "all_above": {"1": lambda i: 0, "2": lambda i: 0, "+Inf": lambda i: 4},
    "nan": {"1": lambda i: NAN if 40 <= i < 50 else 1, "+Inf": lambda i: 2},
    # the 2 bucket is written only in the first hour: after it, the others alone
    "gap": {"1": lambda i: 1, "2": lambda i: 2 if i < 60 else None, "+Inf": lambda i: 3},
    "idle_at_night": {"1": lambda i: 1 if i < 30 else 0, "+Inf": lambda i: 2 if i < 30 else 0},
}


def openmetrics() -> str:
    bucket_lines, count_lines = [], []  # gauges: rate() reads them as counters all the same
    for team, buckets in TEAMS.items():
        totals: dict[str, float] = {}
        for i in range(MINUTES + 1):
            t = START + 60 * i
            for le, added in buckets.items():
                value = added(i)
                if value is None:
                    continue
                totals[le] = totals.get(le, 0.0) + value
                total = totals[le]
                text = "NaN" if math.isnan(total) else repr(total)
                if le == "count" or (le == "+Inf" and "count" not in buckets):
                    count_lines.append(f'h_count{{team="{team}"}} {text} {t}')
                if le != "count":
                    bucket_lines.append(f'h_bucket{{le="{le}",team="{team}"}} {text} {t}')
    lines = ["# TYPE h_bucket gauge", *bucket_lines, "# TYPE h_count gauge", *count_lines]
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("quantiles")
    source = tmp / "h.om"
    source.write_text(openmetrics())
    blocks = tmp / "blocks"
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(blocks)],
        check=True,
        capture_output=True,
    )
    with prometheus_on(Path(blocks), "h_count", START + 3600) as prometheus:
        yield prometheus


def query_range(url: str, expr: str, start: float, end: float, step: float) -> list[Any]:
    params = urllib.parse.urlencode(
        {"query": expr, "start": str(start), "end": str(end), "step": f"{step:g}s"}
    )
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=60) as response:
        result: list[Any] = json.load(response)["data"]["result"]
    return result


def by_series(result: list[Any]) -> dict[tuple[tuple[str, str], ...], dict[float, float]]:
    return {
        tuple(sorted(s["metric"].items())): {float(t): float(v) for t, v in s["values"]}
        for s in result
    }


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


EXPRESSIONS = [
    "histogram_quantile({q}, sum by (team, le) (rate(h_bucket[5m])))"
    " and on (team) (sum by (team) (rate(h_count[5m])) > 0)",
    "histogram_quantile({q}, sum by (team, le) (rate(h_bucket[5m])))",
    "histogram_quantile({q}, sum by (team, le) (rate(h_bucket[30m])))",
    'histogram_quantile({q}, sum by (le) (rate(h_bucket{{team!="nan"}}[5m])))'
    ' and on () (sum (rate(h_count{{team!="nan"}}[5m])) > 0)',
    "histogram_quantile({q}, sum by (le) (rate(h_bucket[5m])))",
]


@pytest.mark.parametrize("template", EXPRESSIONS)
@pytest.mark.parametrize("step", [60, 300])
def test_the_quantiles_computed_here_equal_prometheus_at_every_instant(
    url: str, template: str, step: int
) -> None:
    qs = (0.0, 0.25, 0.5, 0.9, 0.99, 1.0, -0.5, 1.5)
    start, end = START + 120, START + MINUTES * 60
    parsed = [parse(template.format(q=q)) for q in qs]
    assert all(p is not None for p in parsed)
    shape = parsed[0][1]  # type: ignore[index]
    assert all(p[1] == shape for p in parsed)  # type: ignore[index]
    buckets = query_range(url, shape.query(), start, end, step)
    count = round((end - start) / step) + 1
    mine = quantiles(qs, buckets, start, step, count)
    compared = 0
    for q, computed in zip(qs, mine, strict=True):
        theirs = by_series(query_range(url, template.format(q=q), start, end, step))
        assert theirs  # the expression has values
        ours = by_series(computed)
        assert ours.keys() == theirs.keys(), q
        for labels, values in theirs.items():
            assert ours[labels].keys() == values.keys(), (q, labels)
            for t, value in values.items():
                assert same(ours[labels][t], value), (q, labels, t, ours[labels][t], value)
                compared += 1
    assert compared >= len(qs) * count // 2  # most instants of each quantile at least
