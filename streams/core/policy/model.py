"""The policy set's model: which policy a ticket gets, its calendar and targets in seconds.

Immutable values built by :mod:`streams.core.policy.parse` (from the policy file) or by
hand; a constructor validates what does not depend on the file (a known match key, a
known target, a positive target, a unique policy name, an at-risk share in (0, 1)).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from streams.core import vocabulary
from streams.core.calendar import ALWAYS, Calendar
from streams.core.staffing import Staffing
from streams.core.teams import DEFAULT_MAX_TEAMS, TeamBound
from streams.core.vocabulary import TARGETS
from streams.errors import UserError

MATCH_KEYS: tuple[str, ...] = ("team", "channel", "priority", "customer_tier", "category")
MATCH_VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "channel": vocabulary.CHANNELS,
        "priority": vocabulary.PRIORITIES,
        "customer_tier": vocabulary.TIERS,
        "category": vocabulary.CATEGORIES,
    }
)
MATCH_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {"customer_tier": vocabulary.DEFAULT_TIER, "category": vocabulary.DEFAULT_CATEGORY}
)
DEFAULT_AT_RISK = 0.8
DEFAULT_SHORT_ABANDON = 10.0  # seconds: a contact abandoned sooner is a "short abandon"
DEFAULT_MAX_AGENTS = 200  # distinct `agent` label values kept without a roster
DEFAULT_SLO_WINDOW = 28 * 86400.0  # the objectives' rolling window (contract: default 28d)
MAX_NAME = 64  # characters of a team name or an agent id, as the contract bounds agent_id
_SELECT_CACHE_SIZE = 4096


class PolicyError(UserError, ValueError):
    """An invalid policy file or document; the message is one user-facing line."""


def is_team_name(team: Any) -> bool:
    """A team name: a non-empty string of at most ``MAX_NAME`` printable characters."""
    return isinstance(team, str) and 0 < len(team) <= MAX_NAME and team.isprintable()


def choices(names: Any) -> str:
    """``a, b, c``: the allowed values an error message lists."""
    return ", ".join(names)


@dataclass(frozen=True)
class Policy:
    """One SLA policy: which tickets (``match``), which ``calendar``, targets in seconds."""

    name: str
    match: Mapping[str, str] = field(hash=False)
    calendar: Calendar
    targets: Mapping[str, float] = field(hash=False)
    # lead time per target: warn this much counted time before the deadline
    warn_before: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match", MappingProxyType(dict(self.match)))
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(self, "warn_before", MappingProxyType(dict(self.warn_before)))
        where = f"policy {self.name!r}"
        for key in self.match:
            if key not in MATCH_KEYS:
                raise PolicyError(
                    f"{where}: unknown match key {key!r} (allowed: {choices(MATCH_KEYS)})"
                )
        for target, seconds in self.targets.items():
            if target not in TARGETS:
                raise PolicyError(
                    f"{where}: unknown target {target!r} (allowed: {choices(TARGETS)})"
                )
            if not seconds > 0:
                raise PolicyError(f"{where}: target {target} must be positive")

    def matches(self, fields: Mapping[str, str | None]) -> bool:
        """Every key of ``match`` equals the ticket's field (with the contract's defaults)."""
        for key, value in self.match.items():
            if (fields.get(key) or MATCH_DEFAULTS.get(key)) != value:
                return False
        return True


@dataclass(frozen=True)
class Objectives:
    """Service-level objectives: the share of outcomes to meet per target over ``window``.

    ``targets`` holds the objectives of every team (target -> share, like 0.95), ``teams`` a
    team's overrides (team -> target -> share); :meth:`of` merges the two for one team.
    """

    window: float = DEFAULT_SLO_WINDOW  # seconds
    targets: Mapping[str, float] = field(default_factory=dict, hash=False)
    teams: Mapping[str, Mapping[str, float]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(
            self,
            "teams",
            MappingProxyType({t: MappingProxyType(dict(o)) for t, o in self.teams.items()}),
        )

    def of(self, team: str) -> dict[str, float]:
        """The objectives of ``team``: its overrides over the objectives of every team."""
        return {**self.targets, **self.teams.get(team, {})}

    def measured(self) -> tuple[str, ...]:
        """The targets with an objective for at least one team, in the contract's order."""
        named = set(self.targets).union(*(set(o) for o in self.teams.values()))
        return tuple(t for t in TARGETS if t in named)


@dataclass(frozen=True)
class Ola:
    """Hand-off targets: how long one team may hold a ticket (SLA-clock seconds).

    Counted on the ticket's policy calendar with pauses excluded, from the moment the team
    gets the ticket (creation or a hand-off) to the moment it hands it on or solves it.
    """

    default: float | None = None  # None: teams without their own target are not measured
    teams: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "teams", MappingProxyType(dict(self.teams)))

    def of(self, team: str) -> float | None:
        """The OLA target of ``team`` in seconds, or None when it is not measured."""
        return self.teams.get(team, self.default)


def _no_key(fields: Mapping[str, Any]) -> tuple[()]:
    return ()


NO_POLICY = Policy("none", {}, ALWAYS, {})
"""The built-in fallback when no policy matches: 24x7, nothing measured."""


@dataclass(frozen=True)
class PolicySet:
    """Ordered policies (first match wins), the at-risk share, the calendars by name."""

    policies: tuple[Policy, ...]
    at_risk: float = DEFAULT_AT_RISK
    calendars: Mapping[str, Calendar] = field(default_factory=dict, hash=False)
    short_abandon: float = DEFAULT_SHORT_ABANDON  # seconds
    agents: tuple[str, ...] | None = None  # the agent roster; None: the first max_agents seen
    max_agents: int = DEFAULT_MAX_AGENTS
    teams: tuple[str, ...] | None = None
    max_teams: int = DEFAULT_MAX_TEAMS
    objectives: Objectives | None = None  # None: the file sets no objectives
    ola: Ola | None = None  # None: the file sets no hand-off targets
    staffing: Staffing | None = None  # planned agents per team and hour (staffing.py)
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False, hash=False)
    _key_of: Callable[[Mapping[str, Any]], Any] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _cache: dict[Any, Policy] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        policies = tuple(self.policies)
        object.__setattr__(self, "policies", policies)
        calendars = {ALWAYS.name: ALWAYS, **self.calendars}
        for policy in policies:
            calendars.setdefault(policy.calendar.name, policy.calendar)
        object.__setattr__(self, "calendars", MappingProxyType(calendars))
        if isinstance(self.at_risk, bool) or not 0 < self.at_risk < 1:
            raise PolicyError(f"at_risk must be a number between 0 and 1, not {self.at_risk!r}")
        seen: set[str] = set()
        for policy in policies:
            if policy.name in seen or policy.name == NO_POLICY.name:
                raise PolicyError(f"policy {policy.name!r}: the name is used twice or reserved")
            seen.add(policy.name)
        keys = tuple(k for k in MATCH_KEYS if any(k in p.match for p in policies))
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_key_of", itemgetter(*keys) if keys else _no_key)
        object.__setattr__(self, "_cache", {})

    def select(self, fields: Mapping[str, str | None]) -> Policy:
        """The first policy whose ``match`` fits the ticket's fields; ``NO_POLICY`` if none.

        Memoised on the values of the keys any policy matches on, so it is a dict lookup.
        """
        try:
            key = self._key_of(fields)  # a value for one key, a tuple for several
        except KeyError:  # a field is missing: look the others up one by one
            values = tuple([fields.get(k) for k in self._keys])
            key = values if len(values) != 1 else values[0]
        policy = self._cache.get(key)
        if policy is None:
            values = key if len(self._keys) != 1 else (key,)
            known = dict(zip(self._keys, values, strict=True))
            policy = next((p for p in self.policies if p.matches(known)), NO_POLICY)
            if len(self._cache) >= _SELECT_CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = policy
        return policy

    def team_bound(self) -> TeamBound:
        """A fresh mapper of team names to label values (one per engine)."""
        return TeamBound(self.teams, self.max_teams)

    def named(self, name: str) -> Policy | None:
        """The policy called ``name`` (``none`` is the fallback), or None."""
        if name == NO_POLICY.name:
            return NO_POLICY
        return next((p for p in self.policies if p.name == name), None)
