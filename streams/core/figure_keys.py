"""The policy file's keys for the contact-centre figures: short_abandon, agents, max_agents.

Kept apart from policy.py (which calls :func:`parse_figure_keys` from ``parse_policy``);
the keys and their defaults are described in docs/policies.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from streams.core.policy import (
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    PolicyError,
    parse_duration,
)

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
