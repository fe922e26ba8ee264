"""The policy file's keys beyond the contract's: short_abandon, agents, max_agents, teams,
a policy's warn_before, and the optional key objectives (contract section 2).

Kept apart from policy.py (whose ``parse_policy`` calls these); the keys and their
defaults are described in docs/policies.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy import (
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    DEFAULT_SLO_WINDOW,
    Objectives,
    PolicyError,
    parse_duration,
)
from streams.core.vocabulary import TARGETS

REACH_FROM = 1_767_225_600.0  # 2026-01-01T00:00:00Z: where reachability is checked from
REACH_YEARS = 10
MAX_AGENT_ID = 64  # characters, as the contract bounds agent_id
RESERVED_AGENTS = ("other", "none")  # the labels of unlisted agents and of no agent
OBJECTIVE_KEYS = ("window", *TARGETS, "teams")
SLO_WINDOW_MIN = 86400.0  # 1d: the objectives' window is at least a day ...
SLO_WINDOW_MAX = 366 * 86400.0  # ... and at most a year
_SHARE_RE = re.compile(r"(\d{1,3}(?:\.\d{1,6})?)\s*%")


def parse_figure_keys(doc: Mapping[str, Any]) -> tuple[float, tuple[str, ...] | None, int]:
    """``short_abandon``, ``agents`` and ``max_agents`` (the contact-centre figures' keys)."""
    short = doc.get("short_abandon")
    if short is None:
        short_abandon = DEFAULT_SHORT_ABANDON
    elif isinstance(short, str) and re.fullmatch(r"0+[smhd]", short.strip()):
        short_abandon = 0.0  # no abandon is short
    else:
        try:
            short_abandon = parse_duration(short)
        except PolicyError as exc:
            raise PolicyError(f"short_abandon: {exc}") from None
    if "agents" in doc and "max_agents" in doc:
        raise PolicyError("give either 'agents' (a roster) or 'max_agents' (a cap), not both")
    max_agents = doc.get("max_agents", DEFAULT_MAX_AGENTS)
    if isinstance(max_agents, bool) or not isinstance(max_agents, int) or max_agents < 1:
        raise PolicyError("max_agents must be a whole number of at least 1, like 200")
    return short_abandon, _parse_roster(doc.get("agents")) if "agents" in doc else None, max_agents


def _parse_roster(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise PolicyError("'agents' must be a list of agent ids, like [a-17, a-18]")
    seen: set[str] = set()
    for i, agent in enumerate(raw):
        if not isinstance(agent, str) or not agent:
            raise PolicyError(f"agents[{i}]: an agent id must be a non-empty string")
        if len(agent) > MAX_AGENT_ID or not agent.isprintable():
            raise PolicyError(
                f"agents[{i}]: an agent id is at most {MAX_AGENT_ID} printable characters"
            )
        if agent in RESERVED_AGENTS:
            raise PolicyError(f"agents[{i}]: {agent!r} is reserved (unlisted / unknown agents)")
        if agent in seen:
            raise PolicyError(f"agents[{i}]: agent {agent!r} is listed twice")
        seen.add(agent)
    return tuple(raw)


def parse_teams(raw: Any) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(team, str) and team for team in raw):
        raise PolicyError("teams must be a list of team names, like [billing, technical]")
    for team in raw:
        if len(team) > 64 or not team.isprintable():
            raise PolicyError("teams: a team name is at most 64 printable characters")
    return tuple(raw)


def lead_times(where: str, entry: Mapping[str, Any], targets: Mapping[str, float]) -> dict:
    """``warn_before: {first_response: 5m}``: a lead time shorter than its measured target."""
    raw = entry.get("warn_before")
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: warn_before must be a mapping like {{first_response: 5m}}")
    leads: dict[str, float] = {}
    for target, text in raw.items():
        if target not in targets:
            raise PolicyError(f"{where}: warn_before {target!r} is not one of its targets")
        try:
            lead = parse_duration(text)
        except PolicyError as exc:
            raise PolicyError(f"{where}: warn_before {target}: {exc}") from None
        if lead >= targets[target]:
            raise PolicyError(f"{where}: warn_before {target} must be shorter than its target")
        leads[target] = lead
    return leads


def check_reachable(where: str, calendar: Calendar, targets: Mapping[str, float]) -> None:
    """Refuse a target the calendar cannot reach within ``REACH_YEARS`` (no open time)."""
    longest = max(targets.values(), default=0.0)
    if not longest or calendar is ALWAYS:
        return
    if calendar.counted(REACH_FROM, REACH_FROM + 64 * 86400) >= longest:
        return  # the usual case, cheap: within about two months
    horizon = REACH_FROM + REACH_YEARS * 365.25 * 86400
    if calendar.counted(REACH_FROM, horizon) < longest:
        raise PolicyError(
            f"{where}: a target of {longest / 86400:g}d is never reached: calendar "
            f"{calendar.name!r} counts less than that in {REACH_YEARS} years"
        )


def parse_objectives(raw: Any, teams: tuple[str, ...] | None = None) -> Objectives:
    """``objectives: {window: 28d, first_response: 95%, teams: {billing: {...}}}``.

    A share is a percentage strictly between 0 % and 100 % (``95%``, ``99.5%``) or a fraction
    strictly between 0 and 1 (``0.95``); 100 % leaves no error budget. ``teams`` overrides
    targets per team (the window is one for the file); with a ``teams`` list, an override must
    name a listed team (or ``other``), or it would never match a series.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PolicyError("objectives must be a mapping like {window: 28d, first_response: 95%}")
    for key in raw:
        if key not in OBJECTIVE_KEYS:
            allowed = ", ".join(OBJECTIVE_KEYS)
            raise PolicyError(f"objectives: unknown key {key!r} (allowed: {allowed})")
    window = DEFAULT_SLO_WINDOW
    if "window" in raw:
        try:
            window = parse_duration(raw["window"])
        except PolicyError as exc:
            raise PolicyError(f"objectives: window: {exc}") from None
        if not SLO_WINDOW_MIN <= window <= SLO_WINDOW_MAX:
            raise PolicyError(f"objectives: window must be from 1d to 366d, not {raw['window']!r}")
    targets = _shares("objectives", {k: v for k, v in raw.items() if k in TARGETS})
    overrides: dict[str, dict[str, float]] = {}
    by_team = raw.get("teams")
    by_team = {} if by_team is None else by_team
    if not isinstance(by_team, Mapping):
        raise PolicyError(
            "objectives: teams must be a mapping like {billing: {first_response: 98%}}"
        )
    for team, body in by_team.items():
        if not isinstance(team, str) or not team or len(team) > 64 or not team.isprintable():
            raise PolicyError(
                f"objectives: teams: a team name is at most 64 printable characters, not {team!r}"
            )
        where = f"objectives: teams: {team}"
        if teams is not None and team not in teams and team != "other":
            raise PolicyError(f"{where}: not one of the policy's teams (its series are 'other')")
        if not isinstance(body, Mapping):
            raise PolicyError(f"{where}: must be a mapping like {{first_response: 98%}}")
        for key in body:
            if key not in TARGETS:
                allowed = ", ".join(TARGETS)
                raise PolicyError(f"{where}: unknown target {key!r} (allowed: {allowed})")
        overrides[team] = _shares(where, body)
    return Objectives(window, targets, overrides)


def _shares(where: str, raw: Mapping[str, Any]) -> dict[str, float]:
    """target -> share, in the contract's order of targets."""
    shares = {target: _share(f"{where}: {target}", value) for target, value in raw.items()}
    return {t: shares[t] for t in TARGETS if t in shares}


def _share(where: str, value: Any) -> float:
    bad = f"{where} must be a percentage below 100%, like 95%, not {value!r}"
    if isinstance(value, str):
        match = _SHARE_RE.fullmatch(value.strip())
        if match is None:
            raise PolicyError(bad)
        share = round(float(match[1]) / 100, 8)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value >= 1:
            raise PolicyError(f"{bad} (a number is a fraction: write {value:g}% or 0.95)")
        share = float(value)
    else:
        raise PolicyError(bad)
    if share >= 1:
        raise PolicyError(f"{where} must be below 100% (100% leaves no error budget)")
    if share <= 0:
        raise PolicyError(f"{where} must be above 0%")
    return share
