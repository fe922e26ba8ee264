"""How the backfill evaluates the recording rules: few queries, long windows less often."""

from __future__ import annotations

import pytest

from streams.history.blocks import SPAN
from streams.history.rules import batches, evaluation_step, longest_window


def test_the_longest_window_of_an_expression_is_its_longest_range_selector() -> None:
    expr = "sum(rate(a[5m])) / sum(increase(b[7d])) + max_over_time(c[1h:5m])"
    assert longest_window(expr) == 7 * 86400
    assert longest_window("sum by (team) (servicepulse_open_tickets)") == 0


@pytest.mark.parametrize(
    ("window", "step", "every"),
    [
        (300, 60, 60),  # up to an hour: every step
        (3600, 60, 60),
        (6 * 3600, 60, 180),  # 21,600 / 96 = 225 s -> 3 min (a divisor of an hour)
        (86400, 60, 900),  # 900 s: 15 min
        (3 * 86400, 60, 1800),  # 2,700 s -> 30 min
        (7 * 86400, 60, 3600),  # at most an hour
        (28 * 86400, 60, 3600),
        (86400, 3600, 3600),  # at 1h, every step
        (86400, 7, 7),  # no divisor of an hour is a multiple of 7 s
    ],
)
def test_a_long_window_is_evaluated_every_ninety_sixth_of_it_within_an_hour(
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
