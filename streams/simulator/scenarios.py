"""The simulation's configuration and its scenarios: normal, surge, outage."""

from __future__ import annotations

import math
from dataclasses import dataclass

from streams.simulator.staffing import DEFAULT_SEAT_SAFETY

SCENARIOS = ("normal", "surge", "outage")
MAX_SEAT_SAFETY = 10.0  # beyond it every contact is answered at once anyway


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    scenario: str = "normal"
    teams: tuple[str, ...] = ("billing", "technical", "sales")
    arrivals_per_hour: float = 120.0  # mean at the daily peak; varies by hour of day
    outage_team: str = "technical"  # in "outage": this team stops answering ...
    outage_start: float = 0.0  # ... from start+outage_start seconds ...
    outage_end: float | None = None  # ... until start+outage_end (None: until the end)
    surge_factor: float = 3.0  # in "surge": arrivals x surge_factor ...
    surge_start: float = 0.0  # ... from start+surge_start seconds (before it: normal)
    flat_arrivals: bool = False  # True: no hour-of-day profile
    seat_safety: float = DEFAULT_SEAT_SAFETY  # the seats' headroom (staffing.py)
    greet_first: bool = False  # True: on a call the agent speaks before any internal note


def check(config: SimConfig) -> None:
    """ValueError for a configuration the model cannot run."""
    if config.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {config.scenario!r}; expected one of {SCENARIOS}")
    if not config.teams or len(set(config.teams)) != len(config.teams):
        raise ValueError("teams must be a non-empty tuple of distinct names")
    if not config.arrivals_per_hour > 0:
        raise ValueError("arrivals_per_hour must be > 0")
    if config.scenario == "surge" and not config.surge_factor > 0:
        raise ValueError("surge_factor must be > 0")
    if not (0 <= config.seat_safety <= MAX_SEAT_SAFETY):
        raise ValueError(f"seat_safety must be between 0 and {MAX_SEAT_SAFETY:g}")
    if not config.surge_start >= 0:
        raise ValueError("surge_start must be >= 0")
    if config.scenario == "outage" and config.outage_team not in config.teams:
        raise ValueError(f"outage_team {config.outage_team!r} is not one of the teams")


def arrival_factor(config: SimConfig) -> float:
    """How many times the configured arrivals the scenario brings (staffing is not scaled)."""
    return config.surge_factor if config.scenario == "surge" else 1.0


def surge_begins(config: SimConfig, start: float) -> float:
    """When the surge's extra arrivals begin (never outside the "surge" scenario): a surge
    that starts after a normal stretch is one the hour-of-week baselines can see."""
    return start + config.surge_start if config.scenario == "surge" else math.inf


class Outage:
    """The window in which one team's agents do nothing visible ("outage" scenario).

    Actions of that team due inside the window are postponed: they resume after it, in their
    original order, compressed into half the window (the backlog drains). With no end they
    never happen. Outside the "outage" scenario the window is empty.
    """

    def __init__(self, config: SimConfig, start: float) -> None:
        if config.scenario == "outage":
            self.team: str | None = config.outage_team
            self.start = start + config.outage_start
            self.end = math.inf if config.outage_end is None else start + config.outage_end
        else:
            self.team = None
            self.start = self.end = math.inf

    def silences(self, team: str, t: float) -> bool:
        """The agents of ``team`` are silent at ``t``."""
        return team == self.team and self.start <= t < self.end

    def resumed_at(self, t: float) -> float | None:
        """When an action due at ``t`` inside the window happens; None: never."""
        if self.end == math.inf:
            return None
        return self.end + (t - self.start) * 0.5
