"""Erlang C (streams/core/erlang.py) against worked examples and the textbook formula.

The reference is the direct form of Erlang C, written out here independently of the
module's recursion:

    C(N, A) = (A^N / N!) (N / (N - A)) / (sum_{k<N} A^k / k! + (A^N / N!) (N / (N - A)))

Worked example 1 (the issue's check; "100 calls/h, 180 s AHT, 6 agents"): A = 100 x 180 /
3600 = 5 Erlangs, N = 6: C = 0.5875, SL(20 s) = 1 - 0.5875 e^(-(6-5) 20/180) = 0.4743,
ASA = 0.5875 x 180 / (6 - 5) = 105.75 s; 80/20 needs 8 agents (7: 74.04 %, 8: 88.01 %).

Worked example 2 (the Erlang C example of callcentrehelper.com and most WFM primers):
100 calls in 30 minutes, AHT 3 minutes, 80 % in 20 s: A = 100 x 180 / 1800 = 10 Erlangs;
14 agents: probability of waiting 17.41 %, service level 88.84 %, ASA 7.8 s; 13 agents
reach only 79.56 %, so 14 are needed.
"""

from __future__ import annotations

import math

import pytest

from streams.core import erlang
from streams.core.erlang import Forecast


def textbook_wait_probability(n: int, a: float) -> float:
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_the_issues_example_six_agents_on_five_erlangs_wait_in_58_75_percent() -> None:
    forecast = Forecast(rate=100 / 3600, aht=180, agents=6)
    assert forecast.erlangs == pytest.approx(5.0)
    assert forecast.wait_probability == pytest.approx(0.5875, abs=5e-5)
    assert forecast.service_level == pytest.approx(0.4743, abs=5e-5)
    assert forecast.asa == pytest.approx(105.75, abs=5e-3)


def test_the_issues_example_needs_eight_agents_for_80_in_20_seconds() -> None:
    forecast = Forecast(rate=100 / 3600, aht=180, agents=6)
    assert erlang.service_level(7, 5.0, 180, 20) == pytest.approx(0.7404, abs=5e-5)
    assert erlang.service_level(8, 5.0, 180, 20) == pytest.approx(0.8801, abs=5e-5)
    assert forecast.agents_needed == 8
    assert forecast.agents_short == 2


def test_the_published_100_calls_in_30_minutes_example_needs_14_agents() -> None:
    forecast = Forecast(rate=100 / 1800, aht=180, agents=14)
    assert forecast.erlangs == pytest.approx(10.0)
    assert forecast.wait_probability == pytest.approx(0.1741, abs=5e-5)
    assert forecast.service_level == pytest.approx(0.8884, abs=5e-5)
    assert forecast.asa == pytest.approx(7.84, abs=5e-3)
    assert erlang.service_level(13, 10.0, 180, 20) == pytest.approx(0.7956, abs=5e-5)
    assert forecast.agents_needed == 14
    assert forecast.agents_short == 0


@pytest.mark.parametrize(("n", "a"), [(1, 0.5), (6, 5.0), (14, 10.0), (30, 25.3), (120, 110.0)])
def test_the_recursion_agrees_with_the_textbook_formula(n: int, a: float) -> None:
    assert erlang.wait_probability(n, a) == pytest.approx(textbook_wait_probability(n, a))


def test_erlang_b_of_one_agent_is_a_over_one_plus_a() -> None:
    assert erlang.erlang_b(1, 5.0) == pytest.approx(5 / 6)
    assert erlang.erlang_b(0, 5.0) == 1.0


def test_an_overloaded_queue_always_waits_never_meets_the_goal_and_has_no_finite_asa() -> None:
    forecast = Forecast(rate=100 / 3600, aht=180, agents=5)  # N = A = 5
    assert forecast.wait_probability == 1.0
    assert forecast.service_level == 0.0
    assert forecast.asa == math.inf
    assert Forecast(rate=100 / 3600, aht=180, agents=0).service_level == 0.0


def test_no_traffic_means_no_wait_and_one_agent_is_enough() -> None:
    forecast = Forecast(rate=0.0, aht=180, agents=3)
    assert forecast.wait_probability == 0.0
    assert forecast.service_level == 1.0
    assert forecast.asa == 0.0
    assert forecast.agents_needed == 1


def test_a_goal_no_staffing_reaches_says_so_with_one_more_than_the_most() -> None:
    assert erlang.agents_needed(50.0, 180, 20, 0.8, most=10) == 11


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        erlang.erlang_b(-1, 1.0)
