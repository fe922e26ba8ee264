"""How the backfill evaluates the recording rules: few queries, long windows less often."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.history.blocks import SPAN
from streams.history.prometheus import hard_links
from streams.history.rules import (
    batches,
    evaluation_step,
    longest_window,
    plan,
    rule_step,
)


def test_the_longest_window_of_an_expression_is_its_longest_range_selector() -> None:
    expr = "sum(rate(a[5m])) / sum(increase(b[7d])) + max_over_time(c[1h:5m])"
    assert longest_window(expr) == 7 * 86400
    assert longest_window("sum by (team) (servicepulse_open_tickets)") == 0


@pytest.mark.parametrize(
    ("window", "step", "every"),
    [
        (300, 60, 60),  # up to 5 minutes: every step
        (1800, 60, 120),  # over 5 minutes up to an hour: 1,800 / 12 = 150 s -> 2 min
        (3600, 60, 300),  # 5 min
        (3600, 300, 300),  # at 5m, every step
        (3600, 240, 240),  # 300 s is no multiple of 240 s: every step
        (6 * 3600, 60, 180),  # 21,600 / 96 = 225 s -> 3 min (a divisor of an hour)
        (86400, 60, 900),  # 900 s: 15 min
        (3 * 86400, 60, 1800),  # 2,700 s -> 30 min
        (7 * 86400, 60, 3600),  # at most an hour
        (28 * 86400, 60, 3600),
        (86400, 3600, 3600),  # at 1h, every step
        (86400, 7, 7),  # no divisor of an hour is a multiple of 7 s
    ],
)
def test_a_window_is_evaluated_every_twelfth_to_ninety_sixth_of_it_within_an_hour(
    window: float, step: float, every: float
) -> None:
    assert evaluation_step(window, step) == every


def test_consecutive_spans_go_together_up_to_the_instants_a_query_may_hold() -> None:
    # at 60 s a span is 1,080 instants: 4 spans (4,320) a batch; span 9 follows a gap
    start, end = 0 * SPAN + 600, 10 * SPAN - 60
    got = batches([0, 1, 2, 3, 4, 5, 6, 9], start, end, 60.0)
    assert [b.spans for b in got] == [[0, 1, 2, 3], [4, 5, 6], [9]]
    assert got[0].start == 600 and got[0].end == 4 * SPAN - 60
    assert got[2].start == 9 * SPAN and got[2].end == end
    assert len(got[0].stamps) == (4 * SPAN - 60 - 600) / 60 + 1
    # at 1 h a span is 18 instants: 240 spans (4,320 instants) in one query
    assert [len(b.spans) for b in batches(list(range(300)), 0, 300 * SPAN, 3600.0)] == [240, 60]


def test_a_series_read_over_a_range_up_to_an_hour_is_evaluated_every_step() -> None:
    # the error budgets' hourly counts, summed over 28 days: a value held 5 min would count 5x
    increase = "sum by (team) (increase(x_total[1h]))"
    assert rule_step("team:x:increase1h", increase, 60.0, {"team:x:increase1h"}) == 60
    assert rule_step("team:x:increase1h", increase, 60.0, set()) == 300
    weekly = "sum by (team) (increase(x_total[7d]))"
    assert rule_step("team:x:increase7d", weekly, 60.0, {"team:x:increase7d"}) == 3600


def test_the_quantiles_of_one_shape_and_step_are_one_job_in_the_rules_order() -> None:
    def quantile(q: float, w: str) -> str:
        return (
            f"histogram_quantile({q}, sum by (team, le) (rate(x_bucket[{w}])))"
            f" and on (team) (sum by (team) (rate(x_count[{w}])) > 0)"
        )

    by_record = {
        "a:p50_rate5m": [{"record": "a:p50_rate5m", "expr": quantile(0.5, "5m")}],
        "a:count": [{"record": "a:count", "expr": "sum(x_count)"}],
        "a:p90_rate5m": [{"record": "a:p90_rate5m", "expr": quantile(0.9, "5m")}],
        "a:p90_rate1h": [{"record": "a:p90_rate1h", "expr": quantile(0.9, "1h")}],
        # a record of two rules keeps its rules alone (its family is written in one piece)
        "a:two": [
            {"record": "a:two", "expr": quantile(0.5, "5m"), "labels": {"k": "1"}},
            {"record": "a:two", "expr": quantile(0.9, "5m"), "labels": {"k": "2"}},
        ],
    }
    jobs = plan(by_record, 60.0, set())
    assert [([r for r, _, _ in job.rules], job.qs, job.every) for job in jobs] == [
        (["a:p50_rate5m", "a:p90_rate5m"], (0.5, 0.9), 60),
        (["a:count"], (), 60),
        (["a:p90_rate1h"], (0.9,), 300),
        (["a:two"], (), 60),
        (["a:two"], (), 60),
    ]


def test_the_first_pass_goes_ahead_only_where_blocks_can_be_hard_linked(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "work").mkdir()
    assert hard_links(tmp_path / "out", tmp_path / "work")
    assert not hard_links(tmp_path / "out", tmp_path / "missing")  # no link can be made
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "work"]  # probe removed
