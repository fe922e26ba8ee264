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


# Chat concurrency: a chat occupies an agent for its handle time over the chats an agent
# handles at once, so A = A_phone + A_chat / c and a contact's service time is A / arrivals.
#
# 100 chats an hour, 360 s each, 8 agents: A_chat = 100 x 360 / 3600 = 10 Erlangs.
#   two at once: A = 10 / 2 = 5 agent-Erlangs, 360 / 2 = 180 agent seconds a chat: the
#   issue's example above, 8 agents 88.01 % (P(wait) 0.1673), 8 needed.
#   one at a time: A = 10 >= 8 agents: every chat waits, 0 %; 13 agents
#   1 - 0.2853 e^(-3 x 20/360) = 75.85 %, 14 agents 1 - 0.1741 e^(-4 x 20/360) = 86.06 %:
#   14 needed.
# 50 calls (180 s) and 50 chats (360 s) an hour: A = 50 x 180 / 3600 + 50 x 360 / 3600 / c
#   = 2.5 + 5 / c. c = 2: 5 agent-Erlangs, 100 contacts at 180 agent seconds: 7 agents
#   74.04 %, ASA 29.17 s. c = 1: 7.5 Erlangs, 270 s each: 10 agents
#   1 - 0.3066 e^(-2.5 x 20/270) = 74.52 %, 11 agents 1 - 0.1758 e^(-3.5 x 20/270) = 86.43 %.

CHATS = 100 / 3600  # chats a second
HALF = 50 / 3600


def test_chat_traffic_counts_in_agent_erlangs_over_the_chats_handled_at_once() -> None:
    assert erlang.agent_traffic(0, 0, CHATS, 360, concurrency=2) == pytest.approx(5.0)
    assert erlang.agent_traffic(0, 0, CHATS, 360) == pytest.approx(10.0)
    assert erlang.agent_traffic(HALF, 180, HALF, 360, concurrency=2) == pytest.approx(5.0)
    assert erlang.agent_traffic(HALF, 180, HALF, 360) == pytest.approx(7.5)
    assert erlang.agent_traffic(CHATS, 180, 0, 0, concurrency=4) == pytest.approx(5.0)  # calls


def test_eight_agents_meet_80_20_with_two_chats_at_once_and_fail_with_one() -> None:
    two = Forecast.phone_and_chat(0, 0, CHATS, 360, agents=8, concurrency=2)
    assert two.erlangs == pytest.approx(5.0)
    assert two.aht == pytest.approx(180.0)
    assert two.wait_probability == pytest.approx(0.1673, abs=5e-5)
    assert two.service_level == pytest.approx(0.8801, abs=5e-5)
    assert two.agents_needed == 8
    one = Forecast.phone_and_chat(0, 0, CHATS, 360, agents=8)
    assert one.erlangs == pytest.approx(10.0)
    assert one.service_level == 0.0
    assert erlang.service_level(13, 10.0, 360, 20) == pytest.approx(0.7585, abs=5e-5)
    assert erlang.service_level(14, 10.0, 360, 20) == pytest.approx(0.8606, abs=5e-5)
    assert one.agents_needed == 14
    assert one.agents_short == 6


def test_a_mixed_team_counts_calls_whole_and_chats_over_their_concurrency() -> None:
    two = Forecast.phone_and_chat(HALF, 180, HALF, 360, agents=7, concurrency=2)
    assert two.rate == pytest.approx(CHATS)
    assert two.aht == pytest.approx(180.0)
    assert two.service_level == pytest.approx(0.7404, abs=5e-5)
    assert two.asa == pytest.approx(29.17, abs=5e-3)
    assert two.agents_needed == 8
    one = Forecast.phone_and_chat(HALF, 180, HALF, 360, agents=10)
    assert one.aht == pytest.approx(270.0)
    assert one.service_level == pytest.approx(0.7452, abs=5e-5)
    assert one.agents_needed == 11


def test_with_one_chat_at_a_time_the_adapted_form_is_erlang_c_of_the_pooled_handle_time() -> None:
    # 100 contacts an hour at (50 x 180 + 50 x 360) / 100 = 270 s each, 10 agents: 74.52 %
    pooled = Forecast(rate=CHATS, aht=270, agents=10)
    adapted = Forecast.phone_and_chat(HALF, 180, HALF, 360, agents=10, concurrency=1)
    assert adapted.service_level == pytest.approx(pooled.service_level)
    assert adapted.asa == pytest.approx(pooled.asa)


def test_agent_seconds_per_contact_divide_the_chat_seconds_by_the_chats_at_once() -> None:
    # the rules' form over a day: 50 calls x 180 s = 9000 s, 50 chats x 360 s = 18000 s
    assert erlang.agent_seconds_per_contact(9000, 18000, 100, concurrency=2) == 180.0
    assert erlang.agent_seconds_per_contact(9000, 18000, 100) == 270.0
    # x the hour's 100 contacts: the agent-Erlangs of the arrivals, for the day's mix
    assert CHATS * erlang.agent_seconds_per_contact(9000, 18000, 100, 2) == pytest.approx(
        erlang.agent_traffic(HALF, 180, HALF, 360, 2)
    )


def test_no_arrivals_on_either_channel_means_no_wait() -> None:
    idle = Forecast.phone_and_chat(0, 180, 0, 360, agents=2, concurrency=3)
    assert idle.erlangs == 0.0
    assert idle.service_level == 1.0


def test_less_than_one_chat_at_once_is_refused() -> None:
    with pytest.raises(ValueError):
        erlang.agent_traffic(0, 0, CHATS, 360, concurrency=0.5)
    with pytest.raises(ValueError):
        erlang.agent_seconds_per_contact(0, 100, 1, concurrency=0)
