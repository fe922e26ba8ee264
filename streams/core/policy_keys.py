"""The policy file's keys beyond the contract's: short_abandon, agents, max_agents, teams,
and a policy's warn_before.

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
    PolicyError,
    parse_duration,
)

REACH_FROM = 1_767_225_600.0  # 2026-01-01T00:00:00Z: where reachability is checked from
REACH_YEARS = 10
MAX_AGENT_ID = 64  # characters, as the contract bounds agent_id
RESERVED_AGENTS = ("other", "none")  # the labels of unlisted agents and of no agent


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
