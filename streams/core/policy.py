"""The SLA policy file (YAML, contract section 2) -> :class:`PolicySet`.

Decisions (write-up for docs):

* Durations are a whole number and a unit ``s``, ``m``, ``h`` or ``d`` (``d`` = 24 h of the
  calendar's counted time, so ``3d`` on a 9 h business day is 8 business days). Zero,
  negative, fractional (``1.5h``: write ``90m``), unit-less (``15``) and unknown units
  (``15min``, ``2w``) are errors; so is anything above 3650d.
* ``at_risk`` (default 0.8) must be a number strictly between 0 and 1.
* A calendar needs ``timezone`` and ``hours``; ``days`` defaults to mon-fri, ``holidays`` to
  none. ``always`` (24x7, UTC) is predefined and cannot be redefined.
* A policy needs a unique ``name`` (``none`` is reserved for the built-in fallback); ``match``
  defaults to ``{}`` (matches every ticket), ``calendar`` to ``always``, ``targets`` to ``{}``
  (nothing measured); a missing target is not measured.
* ``match`` keys: team, channel, priority, customer_tier, category; the values of channel,
  priority, customer_tier and category must be ones the contract defines (a typo would
  otherwise never match). A ticket without customer_tier / category matches as ``standard``
  / ``inquiry``, the contract's defaults.
* Unknown keys anywhere are errors (a typo is never ignored), and so are duplicate keys.
* The YAML is read with YAML 1.2 scalars: unquoted ``18:00`` is the string "18:00" (YAML 1.1
  would read the number 1080) and ``no`` / ``on`` are strings, not booleans.
* If no policy matches, the ticket gets the built-in policy ``none`` (24x7, no targets).
* ``short_abandon``, ``agents`` and ``max_agents`` are read by policy_keys.py.
* Every error is one line saying where: ``policy 'vip-urgent': unknown calendar 'eu-ofice'``;
  :func:`load_policy_file` prefixes the path and cuts the line at 300 characters.
* Limits (docs/limits.md): a file of at most 1 MiB, YAML nested at most 32 levels, at most
  100,000 values once aliases are expanded (a few bytes of aliases can expand to a billion),
  every target reachable by
  its calendar within 10 years of calendar time (``days: [sun]``, one minute a day and
  ``3650d`` is refused at load, not at the first ticket).
* ``teams: [..]`` lists the teams (others are counted as ``other``); without it, the first
  ``max_teams`` (default 100) distinct teams are kept (see teams.py).
* ``staffing`` (planned agents per team and hour) is read by policy_keys.py into
  :class:`streams.core.staffing.Staffing`; it is shown only for teams without agent.status.
* ``objectives`` (service-level objectives, error budgets) is read by policy_keys.py into
  :class:`Objectives`; it changes no SLA clock, only the generated rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from streams.core import vocabulary
from streams.core.calendar import ALWAYS, Calendar, CalendarError
from streams.core.policy_yaml import load_yaml
from streams.core.staffing import Staffing
from streams.core.teams import DEFAULT_MAX_TEAMS, TeamBound
from streams.core.vocabulary import TARGETS
from streams.errors import UserError

__all__ = [
    "DEFAULT_AT_RISK",
    "DEFAULT_POLICY_SET",
    "DEFAULT_POLICY_YAML",
    "DEFAULT_SLO_WINDOW",
    "MATCH_KEYS",
    "NO_POLICY",
    "TARGETS",
    "Objectives",
    "Policy",
    "PolicyError",
    "PolicySet",
    "load_policies",
    "load_policy_file",
    "load_yaml",
    "parse_duration",
    "parse_policy",
]

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
MAX_DURATION = 3650 * 86400.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DURATION_RE = re.compile(r"([+-]?)(\d*\.?\d*)([A-Za-z]*)")
_TOP_KEYS = (
    "calendars",
    "at_risk",
    "policies",
    "short_abandon",
    "agents",
    "max_agents",
    "teams",
    "max_teams",
    "objectives",
    "ola",
    "staffing",
)
MAX_FILE_BYTES = 1024 * 1024
MAX_ERROR_CHARS = 300
_CALENDAR_KEYS = ("timezone", "days", "hours", "holidays")
_POLICY_KEYS = ("name", "match", "calendar", "targets", "warn_before")
_SELECT_CACHE_SIZE = 4096


class PolicyError(UserError, ValueError):
    """An invalid policy file or document; the message is one user-facing line."""


def _choices(names: Any) -> str:
    return ", ".join(names)


def _hint(name: str, names: Any) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---- durations --------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """``"15m"`` -> 900.0; ``"3d"`` -> 259200.0 (d = 24 h of counted time)."""
    bad = f"invalid duration {text!r}"
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise PolicyError(f"{bad}: missing unit (write e.g. '{text}s' or '{text}m')")
        raise PolicyError(f"{bad}: expected a whole number with a unit s, m, h or d, like '15m'")
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None or match[2] in ("", "."):
        raise PolicyError(f"{bad}: expected a whole number with a unit s, m, h or d, like '15m'")
    sign, number, unit = match[1], match[2], match[3]
    if not unit:
        raise PolicyError(f"{bad}: missing unit (s, m, h or d)")
    if unit not in _UNITS:
        raise PolicyError(f"{bad}: unknown unit {unit!r} (use s, m, h or d)")
    if sign == "-" or float(number) == 0:
        raise PolicyError(f"{bad}: must be positive")
    if not number.isdigit():
        seconds = round(float(number) * _UNITS[unit], 6)
        better = next(
            (f"{round(seconds / _UNITS[u])}{u}" for u in "dhms" if seconds % _UNITS[u] == 0), None
        )
        tip = f" (write {better})" if better else ""
        raise PolicyError(f"{bad}: not a whole number of {_UNIT_NAMES[unit]}{tip}")
    seconds = float(int(number) * _UNITS[unit])
    if seconds > MAX_DURATION:
        raise PolicyError(f"{bad}: longer than the maximum of 3650d")
    return seconds


# ---- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """One SLA policy: which tickets (``match``), which ``calendar``, targets in seconds."""

    name: str
    match: Mapping[str, str] = field(hash=False)
    calendar: Calendar
    targets: Mapping[str, float] = field(hash=False)
    # lead time per target: warn this much counted time before the deadline (issue 13)
    warn_before: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match", MappingProxyType(dict(self.match)))
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(self, "warn_before", MappingProxyType(dict(self.warn_before)))
        where = f"policy {self.name!r}"
        for key in self.match:
            if key not in MATCH_KEYS:
                raise PolicyError(
                    f"{where}: unknown match key {key!r} (allowed: {_choices(MATCH_KEYS)})"
                )
        for target, seconds in self.targets.items():
            if target not in TARGETS:
                raise PolicyError(
                    f"{where}: unknown target {target!r} (allowed: {_choices(TARGETS)})"
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


# ---- the YAML document ------------------------------------------------------------------------


def parse_policy(doc: Any) -> PolicySet:
    """Build a :class:`PolicySet` from an already-loaded YAML document (raises PolicyError)."""
    if doc is None:
        raise PolicyError("the policy document is empty")
    if not isinstance(doc, Mapping):
        raise PolicyError(
            "the policy document must be a mapping with 'policies' "
            "(and optionally 'calendars', 'at_risk')"
        )
    _no_unknown_keys("", doc, _TOP_KEYS, "top-level key")
    at_risk = _parse_at_risk(doc.get("at_risk", DEFAULT_AT_RISK))
    calendars = _parse_calendars(doc.get("calendars"))
    if "policies" not in doc:
        raise PolicyError("missing 'policies' (a list of policies, first match wins)")
    raw = doc["policies"]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise PolicyError("'policies' must be a list of policies")
    policies: list[Policy] = []
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        policy = _parse_one_policy(i, entry, calendars)
        if policy.name in first_seen:
            raise PolicyError(
                f"policy {policy.name!r}: name used twice "
                f"(policies[{first_seen[policy.name]}] and policies[{i}])"
            )
        first_seen[policy.name] = i
        policies.append(policy)
    from streams.core.policy_keys import (
        parse_figure_keys,
        parse_objectives,
        parse_ola,
        parse_teams,
    )

    teams, max_teams = parse_teams(doc.get("teams")), doc.get("max_teams", DEFAULT_MAX_TEAMS)
    if isinstance(max_teams, bool) or not isinstance(max_teams, int) or not 1 <= max_teams <= 10000:
        raise PolicyError("max_teams must be a whole number from 1 to 10000")

    short_abandon, agents, max_agents = parse_figure_keys(doc)
    objectives = parse_objectives(doc.get("objectives"), teams) if "objectives" in doc else None
    ola = parse_ola(doc.get("ola")) if "ola" in doc else None
    from streams.core.policy_keys import parse_staffing

    staffing = parse_staffing(doc["staffing"], policies, teams) if "staffing" in doc else None
    return PolicySet(
        tuple(policies),
        at_risk,
        calendars,
        short_abandon=short_abandon,
        agents=agents,
        max_agents=max_agents,
        teams=teams,
        max_teams=max_teams,
        objectives=objectives,
        ola=ola,
        staffing=staffing,
    )


def _no_unknown_keys(
    where: str, body: Mapping[Any, Any], allowed: tuple[str, ...], what: str
) -> None:
    for key in body:
        if key not in allowed:
            prefix = f"{where}: " if where else ""
            raise PolicyError(f"{prefix}unknown {what} {key!r} (allowed: {_choices(allowed)})")


def _parse_at_risk(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise PolicyError(
            f"at_risk must be a number between 0 and 1 (exclusive), like 0.8, not {value!r}"
        )
    return float(value)


def _parse_calendars(raw: Any) -> dict[str, Calendar]:
    calendars: dict[str, Calendar] = {ALWAYS.name: ALWAYS}
    if raw is None:
        return calendars
    if not isinstance(raw, Mapping):
        raise PolicyError("'calendars' must be a mapping of calendar names to definitions")
    for name, body in raw.items():
        if not isinstance(name, str) or not name:
            raise PolicyError(f"calendars: a calendar name must be a string, not {name!r}")
        where = f"calendar {name!r}"
        if name == ALWAYS.name:
            raise PolicyError(f"{where}: is predefined (24x7) and cannot be redefined")
        if not isinstance(body, Mapping):
            raise PolicyError(f"{where}: must be a mapping with timezone, days, hours, holidays")
        _no_unknown_keys(where, body, _CALENDAR_KEYS, "key")
        for required in ("timezone", "hours"):
            if required not in body:
                raise PolicyError(f"{where}: missing {required!r}")
        try:
            calendars[name] = Calendar(
                name,
                body["timezone"],
                days=body.get("days", ("mon", "tue", "wed", "thu", "fri")),
                hours=body["hours"],
                holidays=body.get("holidays") or (),
            )
        except CalendarError as exc:
            raise PolicyError(str(exc)) from None
    return calendars


def _parse_one_policy(i: int, entry: Any, calendars: Mapping[str, Calendar]) -> Policy:
    if not isinstance(entry, Mapping):
        raise PolicyError(f"policies[{i}]: must be a mapping with name, match, calendar, targets")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"policies[{i}]: missing 'name' (a non-empty string)")
    where = f"policy {name!r}"
    if name == NO_POLICY.name:
        raise PolicyError(f"{where}: the name is reserved for tickets no policy matches")
    _no_unknown_keys(where, entry, _POLICY_KEYS, "key")

    match = entry.get("match")
    match = {} if match is None else match
    if not isinstance(match, Mapping):
        raise PolicyError(f"{where}: match must be a mapping like {{priority: urgent}}")
    for key, value in match.items():
        if key not in MATCH_KEYS:
            raise PolicyError(
                f"{where}: unknown match key {key!r} (allowed: {_choices(MATCH_KEYS)})"
            )
        if not isinstance(value, str) or not value:
            raise PolicyError(f"{where}: match {key} must be a non-empty string, not {value!r}")
        allowed = MATCH_VALUES.get(key)
        if allowed is not None and value not in allowed:
            raise PolicyError(f"{where}: match {key} {value!r} is not one of {_choices(allowed)}")

    calendar_name = entry.get("calendar", ALWAYS.name)
    if not isinstance(calendar_name, str):
        raise PolicyError(f"{where}: calendar must be a calendar name, not {calendar_name!r}")
    calendar = calendars.get(calendar_name)
    if calendar is None:
        raise PolicyError(
            f"{where}: unknown calendar {calendar_name!r}{_hint(calendar_name, calendars)}"
        )

    raw_targets = entry.get("targets")
    raw_targets = {} if raw_targets is None else raw_targets
    if not isinstance(raw_targets, Mapping):
        raise PolicyError(f"{where}: targets must be a mapping like {{first_response: 1h}}")
    targets: dict[str, float] = {}
    for target, text in raw_targets.items():
        if target not in TARGETS:
            raise PolicyError(f"{where}: unknown target {target!r} (allowed: {_choices(TARGETS)})")
        try:
            targets[target] = parse_duration(text)
        except PolicyError as exc:
            raise PolicyError(f"{where}: target {target}: {exc}") from None
    ordered = {t: targets[t] for t in TARGETS if t in targets}
    from streams.core.policy_keys import check_reachable, lead_times

    check_reachable(where, calendar, ordered)
    return Policy(name, dict(match), calendar, ordered, lead_times(where, entry, ordered))


# ---- the file ---------------------------------------------------------------------------------


def load_policy_file(path: str | Path) -> PolicySet:
    """Read and validate a policy file; every problem is a PolicyError naming the path."""
    where = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise PolicyError(f"{where}: larger than {MAX_FILE_BYTES // 1024} KiB")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{where}: policy file not found") from None
    except IsADirectoryError:
        raise PolicyError(f"{where}: is a directory, not a policy file") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{where}: not a UTF-8 text file") from None
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read policy file: {exc.strerror or exc}") from None
    try:
        doc = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise PolicyError(f"{where}: invalid YAML{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(_clip(f"{where}: invalid YAML: {' '.join(str(exc).split())}")) from None
    except RecursionError:
        raise PolicyError(f"{where}: invalid YAML: nested too deeply") from None
    if doc is None:
        raise PolicyError(f"{where}: the policy file is empty")
    try:
        return parse_policy(doc)
    except PolicyError as exc:
        raise PolicyError(_clip(f"{where}: {exc}")) from None


def _clip(message: str) -> str:
    """One line of at most ``MAX_ERROR_CHARS`` (a value quoted in an error may be huge)."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."


# ---- the built-in default ---------------------------------------------------------------------

DEFAULT_POLICY_YAML = """\
# The built-in policy set, used when no --policy is given.
calendars:
  business-hours:            # Mon-Fri 09:00-18:00 UTC, no holidays
    timezone: UTC
    days: [mon, tue, wed, thu, fri]
    hours: ["09:00", "18:00"]
at_risk: 0.8
policies:
  - name: vip-urgent
    match: {customer_tier: vip, priority: urgent}
    calendar: always
    targets: {first_response: 15m, next_reply: 30m, resolution: 4h}
  - name: urgent
    match: {priority: urgent}
    calendar: always
    targets: {first_response: 1h, next_reply: 2h, resolution: 8h}
  - name: default
    match: {}
    calendar: business-hours
    targets: {first_response: 4h, next_reply: 8h, resolution: 3d}
objectives:                  # share met over 28 days: error budgets and burn-rate alerts
  window: 28d
  first_response: 95%
  resolution: 90%
  teams: {billing: {first_response: 98%}}
"""

DEFAULT_POLICY_SET: PolicySet = parse_policy(load_yaml(DEFAULT_POLICY_YAML))


def load_policies(path: str | Path | None) -> PolicySet:
    """The policy file given, or the built-in default when no path is given."""
    return load_policy_file(path) if path else DEFAULT_POLICY_SET
