"""Erlang C: the queue of a phone (or chat) line served by ``agents`` agents (pure math).

The M/M/N model behind every contact-centre staffing tool: contacts arrive at random (Poisson,
``rate`` per second), each takes an exponentially distributed handle time of mean ``aht``
seconds, ``agents`` agents answer them in order, nobody hangs up. With the offered traffic
``A = rate * aht`` (in Erlangs) and ``N`` agents, for ``N > A``:

* Erlang B by the stable recursion ``B(0) = 1``, ``B(k) = A B(k-1) / (k + A B(k-1))``;
* the probability to wait ``C = N B / (N - A (1 - B))`` (Erlang C);
* the service level within ``T`` seconds ``SL = 1 - C exp(-(N - A) T / aht)``;
* the average speed of answer ``ASA = C aht / (N - A)``.

With ``N <= A`` the queue grows without bound: every contact waits (``C = 1``), the service
level is 0 and the ASA infinite. The same recursion is written out as Prometheus recording
rules by streams/monitoring/rules/forecast.py (docs/forecast.md); this module is the reference
the tests compare them with.

Chat, adapted (:func:`agent_traffic`): an agent who handles ``c`` chats at once spends about
1/c of a chat's handle time on it, so chat traffic counts in agent-Erlangs,
``A = A_phone + A_chat / c``, and a contact's service time is the agent time ``A / rate``
(docs/forecast.md "Chat concurrency" gives the assumption and its limits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf


def traffic(rate: float, aht: float) -> float:
    """Offered traffic in Erlangs: arrivals per second x mean handle time in seconds."""
    return rate * aht


def agent_traffic(
    phone_rate: float, phone_aht: float, chat_rate: float, chat_aht: float, concurrency: float = 1
) -> float:
    """Offered traffic in agent-Erlangs: calls occupy an agent for their handle time, chats
    for their handle time over the chats an agent handles at once."""
    if concurrency < 1:
        raise ValueError("an agent handles at least one chat at once")
    return traffic(phone_rate, phone_aht) + traffic(chat_rate, chat_aht) / concurrency


def agent_seconds_per_contact(
    phone_seconds: float, chat_seconds: float, contacts: float, concurrency: float = 1
) -> float:
    """Agent time per phone or chat contact from the handle seconds reported per channel:
    what the forecast rules compute over the day (chat seconds over the chats at once)."""
    if concurrency < 1:
        raise ValueError("an agent handles at least one chat at once")
    return (phone_seconds + chat_seconds / concurrency) / contacts


def erlang_b(agents: int, erlangs: float) -> float:
    """Blocking probability of ``agents`` servers offered ``erlangs`` (the recursion)."""
    if agents < 0 or erlangs < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = erlangs * b / (k + erlangs * b)
    return b


def wait_probability(agents: int, erlangs: float) -> float:
    """Erlang C: the share of contacts that wait at all (1 when ``agents <= erlangs``)."""
    if agents <= erlangs:
        return 1.0
    b = erlang_b(agents, erlangs)
    return agents * b / (agents - erlangs * (1 - b))


def service_level(agents: int, erlangs: float, aht: float, threshold: float) -> float:
    """Share of contacts answered within ``threshold`` seconds (0 when overloaded)."""
    if agents <= erlangs:
        return 0.0
    c = wait_probability(agents, erlangs)
    return max(0.0, 1 - c * math.exp(-(agents - erlangs) * threshold / aht))


def asa(agents: int, erlangs: float, aht: float) -> float:
    """Average speed of answer in seconds, over every contact (infinite when overloaded)."""
    if agents <= erlangs:
        return INF
    return wait_probability(agents, erlangs) * aht / (agents - erlangs)


def agents_needed(
    erlangs: float, aht: float, threshold: float, goal: float, most: int = 10_000
) -> int:
    """The fewest agents whose service level reaches ``goal`` (``most + 1`` if none does)."""
    for n in range(1, most + 1):
        if service_level(n, erlangs, aht, threshold) >= goal:
            return n
    return most + 1


@dataclass(frozen=True)
class Forecast:
    """The next hour of one queue: arrivals per second, AHT (agent seconds per contact),
    agents on duty."""

    rate: float  # contacts per second
    aht: float  # seconds
    agents: int
    threshold: float = 20.0  # seconds: the 20 of 80/20
    goal: float = 0.80  # the 80 of 80/20

    @classmethod
    def phone_and_chat(
        cls,
        phone_rate: float,
        phone_aht: float,
        chat_rate: float,
        chat_aht: float,
        agents: int,
        concurrency: float = 1,
    ) -> Forecast:
        """One pool of agents answering calls and chats, ``concurrency`` chats at once: the
        arrivals of both, each taking the mean agent time (agent-Erlangs / arrivals)."""
        rate = phone_rate + chat_rate
        erlangs = agent_traffic(phone_rate, phone_aht, chat_rate, chat_aht, concurrency)
        # no arrivals: nobody waits, whatever the handle time
        return cls(rate=rate, aht=erlangs / rate if rate else 1.0, agents=agents)

    @property
    def erlangs(self) -> float:
        return traffic(self.rate, self.aht)

    @property
    def wait_probability(self) -> float:
        return wait_probability(self.agents, self.erlangs)

    @property
    def service_level(self) -> float:
        return service_level(self.agents, self.erlangs, self.aht, self.threshold)

    @property
    def asa(self) -> float:
        return asa(self.agents, self.erlangs, self.aht)

    @property
    def agents_needed(self) -> int:
        return agents_needed(self.erlangs, self.aht, self.threshold, self.goal)

    @property
    def agents_short(self) -> int:
        """Agents to add for the goal (0 when staffed enough)."""
        return max(0, self.agents_needed - self.agents)
