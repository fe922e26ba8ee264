"""Agents' presence from ``agent.status`` events: who is available, busy, away or offline.

Each agent's latest status (by event time: an older status that arrives late does
not override a newer one) and team; the ``servicepulse_agents{team,status}`` gauge
counts agents per team and status. Bounded: at most ``MAX_AGENTS`` agent ids are
remembered; a status for a further one is rejected ``invalid_state`` (docs/limits.md).
"""

from __future__ import annotations

from collections import Counter

MAX_AGENTS = 10_000  # agent ids remembered; a contact centre of 10,000 seats fits


class Presence:
    """The latest (team, status, time) of every agent seen."""

    __slots__ = ("agents",)

    def __init__(self) -> None:
        self.agents: dict[str, tuple[str, str, float]] = {}

    def update(self, agent_id: str, team: str, status: str, ts: float) -> bool:
        """Take a status; False when it cannot be remembered (over ``MAX_AGENTS``)."""
        known = self.agents.get(agent_id)
        if known is None and len(self.agents) >= MAX_AGENTS:
            return False
        if known is None or ts >= known[2]:
            self.agents[agent_id] = (team, status, ts)
        return True

    def counts(self) -> Counter[tuple[str, str]]:
        """Agents per (team, status)."""
        return Counter((team, status) for team, status, _ in self.agents.values())
