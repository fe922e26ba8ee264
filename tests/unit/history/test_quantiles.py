"""The histogram quantiles computed for the backfill's p50/p90 pairs (streams/history/
quantiles.py): figures by hand here; equality with a real Prometheus in
tests/integration/test_history_quantiles.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.history.quantiles import (
    QuantileShape,
    bucket_quantile,
    parse,
    quantiles,
    value_text,
    vector_quantile,
)

INF = math.inf
BUCKETS = [(1.0, 2.0), (2.0, 6.0), (INF, 8.0)]  # 2 at most 1, 4 in (1, 2], 2 above


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.1, 0.4),  # rank 0.8 of the 2 in (0, 1]: 0 + 1 x 0.8 / 2
        (0.5, 1.5),  # rank 4: 2 below, 2 of the 4 in (1, 2]
        (0.75, 2.0),  # rank 6: the top of (1, 2]
        (0.9, 2.0),  # rank 7.2, in the +Inf bucket: the highest finite bound
        (-0.1, -INF),
        (1.1, INF),
    ],
)
def test_a_quantile_interpolates_within_its_bucket(q: float, expected: float) -> None:
    assert bucket_quantile(q, BUCKETS) == expected


def test_buckets_in_any_order_with_equal_bounds_coalesced_and_counts_made_monotonic() -> None:
    # le="1" and le="1.0" are one bucket (1 + 1 = 2); the 2-bucket's 1 < 2 is read as 2
    shuffled = [(INF, 8.0), (1.0, 1.0), (2.0, 1.0), (1.0, 1.0)]
    # ranks: 0.5 x 8 = 4 > 2 in (0, 1] and (1, 2] (2 after the fix): in +Inf -> 2
    assert bucket_quantile(0.5, shuffled) == 2.0
    assert bucket_quantile(0.2, shuffled) == 0.8  # rank 1.6 of 2 in (0, 1]


@pytest.mark.parametrize(
    "buckets",
    [
        [(1.0, 2.0), (2.0, 3.0)],  # no +Inf bucket
        [(INF, 5.0)],  # +Inf alone
        [(1.0, 0.0), (INF, 0.0)],  # no observation
        [],
    ],
)
def test_no_quantile_without_inf_two_buckets_and_an_observation(
    buckets: list[tuple[float, float]],
) -> None:
    assert math.isnan(bucket_quantile(0.5, buckets))


def test_a_quantile_in_a_first_bucket_bounded_at_or_below_zero_is_that_bound() -> None:
    assert bucket_quantile(0.5, [(-1.0, 4.0), (INF, 4.0)]) == -1.0
    assert bucket_quantile(0.5, [(0.0, 4.0), (INF, 4.0)]) == 0.0


finite_counts = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=8
)


@given(
    increments=st.lists(finite_counts, min_size=1, max_size=5),
    q=st.sampled_from([0.0, 0.01, 0.5, 0.9, 0.99, 1.0]),
    negative_first=st.booleans(),
)
def test_the_vectorised_quantile_equals_the_one_instant_one(
    increments: list[list[float]], q: float, negative_first: bool
) -> None:
    width = min(len(column) for column in increments)
    bounds = [(-1.0 if negative_first else 0.25) + i for i in range(width - 1)] + [INF]
    if width < 2:
        return
    counts = np.array([column[:width] for column in increments]).T  # bucket x instant
    got = vector_quantile(q, np.array(bounds), counts)
    for column in range(counts.shape[1]):
        expected = bucket_quantile(q, list(zip(bounds, counts[:, column].tolist(), strict=True)))
        assert value_text(float(got[column])) == value_text(expected)


def test_a_pair_of_rules_is_one_shape_with_two_quantiles() -> None:
    p50 = (
        "histogram_quantile(0.5, sum by (team, le) (rate(x_bucket[5m])))\n"
        "and on (team)\n(sum by (team) (rate(x_count[5m])) > 0)\n"
    )
    shape = QuantileShape(
        "sum by (team, le) (rate(x_bucket[5m]))", ("team",), "sum by (team) (rate(x_count[5m])) > 0"
    )
    assert parse(p50) == (0.5, shape)
    assert parse(p50.replace("0.5", "0.9")) == (0.9, shape)
    assert parse("histogram_quantile(0.99, sum by (le) (rate(y_bucket[1h])))") == (
        0.99,
        QuantileShape("sum by (le) (rate(y_bucket[1h]))", None, ""),
    )
    # parentheses and commas in a string literal are no part of the expression's shape
    quoted = 'histogram_quantile(-1, sum by (le) (rate(y_bucket{a=")", b=~"\\",("}[1h])))'
    assert parse(quoted) == (
        -1.0,
        QuantileShape('sum by (le) (rate(y_bucket{a=")", b=~"\\",("}[1h]))', None, ""),
    )


@pytest.mark.parametrize(
    "expr",
    [
        "sum by (team) (rate(x_count[5m]))",
        "histogram_quantile(scalar(q), sum by (le) (rate(x_bucket[5m])))",
        "histogram_quantile(0.5, sum by (le) (rate(x_bucket[5m]))) # a comment",
        "histogram_quantile(0.5, sum by (le) (rate(x_bucket[5m]))) * 2",
        "histogram_quantile(0.5, sum by (le) (rate(x_bucket[5m]))) and on () (a) > (b)",
        "histogram_quantile(0.5, sum by (le) (rate(x_bucket[5m]))) or on () (a)",
    ],
)
def test_other_expressions_are_left_to_prometheus(expr: str) -> None:
    assert parse(expr) is None


def test_the_filter_is_asked_of_prometheus_with_the_buckets() -> None:
    shape = QuantileShape("sum by (team, le) (rate(x_bucket[5m]))", ("team",), "f > 0")
    assert shape.query() == "(sum by (team, le) (rate(x_bucket[5m]))) and on (team) (f > 0)"
    assert QuantileShape("b", None, "").query() == "b"
    # on the bucket label, the buckets of one quantile are not kept alike: left to Prometheus
    assert parse("histogram_quantile(0.5, b) and on (le) (f)") is None


def test_each_group_of_buckets_gives_a_quantile_at_the_instants_it_has_buckets() -> None:
    # two teams, three instants 60 s apart; team a has no bucket at 60 (its filter dropped it)
    def series(team: str, le: str, values: dict[float, float]) -> dict[str, object]:
        return {
            "metric": {"team": team, "le": le},
            "values": [[t, str(v)] for t, v in values.items()],
        }

    buckets = [
        series("a", "1", {0.0: 2, 120.0: 2}),
        series("a", "+Inf", {0.0: 4, 120.0: 8}),
        series("b", "1", {0.0: 1, 60.0: 1, 120.0: 1}),
        series("b", "+Inf", {0.0: 1, 60.0: 1, 120.0: 1}),
    ]
    p50, p90 = quantiles((0.5, 0.9), buckets, 0.0, 60.0, 3)
    # a at 0: rank 2 of 2 in (0, 1] -> 1; at 120: rank 4 in +Inf -> 1 (the highest bound)
    assert p50[0] == {"metric": {"team": "a"}, "values": [[0.0, "1.0"], [120.0, "1.0"]]}
    assert [v for _, v in p90[0]["values"]] == ["1.0", "1.0"]
    # b: 1 observation, at most 1 -> rank 0.5 of 1 in (0, 1] -> 0.5; rank 0.9 -> 0.9
    assert p50[1] == {"metric": {"team": "b"}, "values": [[t, "0.5"] for t in (0.0, 60.0, 120.0)]}
    assert [v for _, v in p90[1]["values"]] == ["0.9", "0.9", "0.9"]
