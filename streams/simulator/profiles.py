"""When contacts arrive and what they are like: daily and weekly profiles, the mix, the draws.

Every number of the model's population is here; ``Draws`` is the one seeded source of
randomness (never the global generator), so a seed gives the same events byte for byte.
"""

from __future__ import annotations

import math
from bisect import bisect
from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")

# Share of the peak arrival rate, by hour of the day (UTC taken as local time).
HOUR_PROFILE: tuple[float, ...] = (
    0.10, 0.07, 0.05, 0.05, 0.05, 0.08, 0.18, 0.40,  # 00-07
    0.70, 0.90, 1.00, 1.00, 0.85, 0.90, 1.00, 0.95,  # 08-15
    0.85, 0.70, 0.50, 0.40, 0.30, 0.25, 0.18, 0.13,  # 16-23
)  # fmt: skip
# Monday = 0 ... Sunday = 6.
WEEKDAY_FACTOR: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.35)


def profile(t: float) -> float:
    """Share of the weekday peak arrival rate at POSIX time ``t`` (hour x weekday)."""
    hours = int(t // 3600.0)
    return HOUR_PROFILE[hours % 24] * WEEKDAY_FACTOR[(hours // 24 + 3) % 7]  # 1970-01-01: Thu


def mean_profile() -> float:
    """The profile's mean over a week."""
    return sum(HOUR_PROFILE) * sum(WEEKDAY_FACTOR) / (24 * 7)


# The mix of contacts: values with cumulative weights (percent).
CHANNELS = ("phone", "chat", "email", "web", "social")
CHANNEL_CW = (35, 60, 85, 95, 100)
CATEGORIES = ("inquiry", "request", "incident", "complaint")
CATEGORY_CW = (50, 75, 88, 100)
PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_CW = (5, 20, 80, 100)
PRIORITY_CW_INCIDENT = (20, 55, 95, 100)
# Priority scales waiting and answer times (VIP x0.6 on top).
PRIORITY_SPEED = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 1.6}
TEAM_WEIGHT = {"technical": 45.0, "billing": 35.0, "sales": 20.0}
DEFAULT_TEAM_WEIGHT = 35.0  # a team of another name weighs like billing
CUSTOMERS = 200_000  # every tenth one is VIP
AGENTS_PER_TEAM = 40
REVIEWERS = ("qa-1", "qa-2", "qa-3", "qa-4")
SURVEY_KINDS = ("csat", "csat", "csat", "csat", "csat", "csat", "csat", "nps", "nps", "ces")


class Draws:
    """The simulation's seeded random draws."""

    def __init__(self, seed: int) -> None:
        self.rng = Random(seed)
        self.random = self.rng.random  # uniform in [0, 1)

    def exp(self, mean: float) -> float:
        """Exp(mean): what ``Random.expovariate(1 / mean)`` draws, multiplied, not divided."""
        return -math.log(1.0 - self.random()) * mean

    def exp_rate(self, rate: float) -> float:
        """Exp(1 / rate): the wait for the next event of a Poisson process of ``rate``."""
        return -math.log(1.0 - self.random()) / rate

    def gauss(self, mu: float, sigma: float) -> float:
        return self.rng.gauss(mu, sigma)

    def index(self, n: int) -> int:
        """Uniform in 0 .. n-1."""
        return int(self.random() * n)

    def pick(self, values: Sequence[T]) -> T:
        """One of ``values``, uniformly."""
        return values[int(self.random() * len(values))]

    def weighted(self, values: Sequence[T], cumulative: Sequence[float], total: float) -> T:
        """One of ``values`` by cumulative weights that end at ``total``."""
        return values[bisect(cumulative, self.random() * total)]
