"""The bound on distinct teams (contract section 4): label values stay few.

With a ``teams:`` list in the policy file, a team not on it is counted as
``other``. Without one, the first ``max_teams`` distinct teams seen (default
100) are kept and later ones are counted as ``other``. The engine counts each
event so mapped in ``servicepulse_unlisted_team_events_total``.
"""

from __future__ import annotations

from collections.abc import Iterable

OTHER = "other"
DEFAULT_MAX_TEAMS = 100


class TeamBound:
    """Maps a team name to its label value."""

    __slots__ = ("known", "listed", "max_teams")

    def __init__(self, listed: Iterable[str] | None = None, max_teams: int = DEFAULT_MAX_TEAMS):
        self.listed = frozenset(listed) if listed is not None else None
        self.max_teams = max_teams
        self.known: set[str] = set()

    def label(self, name: str) -> str:
        """The label ``name`` would get (nothing recorded)."""
        if self.listed is not None:
            return name if name in self.listed or name == OTHER else OTHER
        if name in self.known or name == OTHER or len(self.known) < self.max_teams:
            return name
        return OTHER

    def admit(self, name: str) -> str:
        """The label of ``name``; without a list, a new team takes a free place if any."""
        label = self.label(name)
        if self.listed is None and label == name and name != OTHER:
            self.known.add(name)
        return label
