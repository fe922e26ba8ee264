"""The policy document (the loaded YAML, contract section 2) -> :class:`PolicySet`.

One parser per key, each giving a one-line :class:`PolicyError` that names where:
``policy 'vip-urgent': unknown calendar 'eu-ofice'``. The decisions:

* Durations (targets, ``warn_before``, ``short_abandon``) are read by durations.py.
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
* Unknown keys anywhere are errors (a typo is never ignored).
* Every target must be reachable by its calendar within 10 years of calendar time
  (``days: [sun]``, one minute a day and ``3650d`` is refused at load, not at the first
  ticket).
* ``teams: [..]`` lists the teams (others are counted as ``other``); without it, the first
  ``max_teams`` (default 100) distinct teams are kept (see teams.py).
* The keys beyond the contract's are described in docs/policies.md: ``warn_before``,
  ``short_abandon``, ``agents`` and ``max_agents`` are read here; ``objectives`` and ``ola``
  by team_targets.py, ``staffing`` by staffing_plan.py.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from streams.core.calendar import ALWAYS, Calendar, CalendarError
from streams.core.policy.durations import parse_duration
from streams.core.policy.model import (
    DEFAULT_AT_RISK,
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    MATCH_KEYS,
    MATCH_VALUES,
    MAX_NAME,
    NO_POLICY,
    Policy,
    PolicyError,
    PolicySet,
    choices,
)
from streams.core.policy.staffing_plan import parse_staffing
from streams.core.policy.team_targets import parse_objectives, parse_ola
from streams.core.teams import DEFAULT_MAX_TEAMS
from streams.core.vocabulary import TARGETS

MAX_TEAMS = 10_000  # the largest max_teams
REACH_FROM = 1_767_225_600.0  # 2026-01-01T00:00:00Z: where reachability is checked from
REACH_YEARS = 10
RESERVED_AGENTS = ("other", "none")  # the labels of unlisted agents and of no agent

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
_CALENDAR_KEYS = ("timezone", "days", "hours", "holidays")
_POLICY_KEYS = ("name", "match", "calendar", "targets", "warn_before")


def _hint(name: str, names: Any) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---- the document -----------------------------------------------------------------------------


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
    policies = _parse_policies(doc, calendars)
    teams, max_teams = parse_teams(doc.get("teams")), _parse_max_teams(doc)
    short_abandon, agents, max_agents = parse_figure_keys(doc)
    objectives = parse_objectives(doc.get("objectives"), teams) if "objectives" in doc else None
    ola = parse_ola(doc.get("ola")) if "ola" in doc else None
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
            raise PolicyError(f"{prefix}unknown {what} {key!r} (allowed: {choices(allowed)})")


def _parse_at_risk(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise PolicyError(
            f"at_risk must be a number between 0 and 1 (exclusive), like 0.8, not {value!r}"
        )
    return float(value)


# ---- calendars --------------------------------------------------------------------------------


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


# ---- policies ---------------------------------------------------------------------------------


def _parse_policies(doc: Mapping[str, Any], calendars: Mapping[str, Calendar]) -> list[Policy]:
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
    return policies


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
    match = _parse_match(where, entry.get("match"))
    calendar = _policy_calendar(where, entry.get("calendar", ALWAYS.name), calendars)
    targets = _parse_targets(where, entry.get("targets"))
    check_reachable(where, calendar, targets)
    return Policy(name, match, calendar, targets, lead_times(where, entry, targets))


def _parse_match(where: str, match: Any) -> dict[str, str]:
    match = {} if match is None else match
    if not isinstance(match, Mapping):
        raise PolicyError(f"{where}: match must be a mapping like {{priority: urgent}}")
    for key, value in match.items():
        if key not in MATCH_KEYS:
            raise PolicyError(
                f"{where}: unknown match key {key!r} (allowed: {choices(MATCH_KEYS)})"
            )
        if not isinstance(value, str) or not value:
            raise PolicyError(f"{where}: match {key} must be a non-empty string, not {value!r}")
        allowed = MATCH_VALUES.get(key)
        if allowed is not None and value not in allowed:
            raise PolicyError(f"{where}: match {key} {value!r} is not one of {choices(allowed)}")
    return dict(match)


def _policy_calendar(where: str, name: Any, calendars: Mapping[str, Calendar]) -> Calendar:
    if not isinstance(name, str):
        raise PolicyError(f"{where}: calendar must be a calendar name, not {name!r}")
    calendar = calendars.get(name)
    if calendar is None:
        raise PolicyError(f"{where}: unknown calendar {name!r}{_hint(name, calendars)}")
    return calendar


def _parse_targets(where: str, raw: Any) -> dict[str, float]:
    """target -> seconds, in the contract's order of targets."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: targets must be a mapping like {{first_response: 1h}}")
    targets: dict[str, float] = {}
    for target, text in raw.items():
        if target not in TARGETS:
            raise PolicyError(f"{where}: unknown target {target!r} (allowed: {choices(TARGETS)})")
        try:
            targets[target] = parse_duration(text)
        except PolicyError as exc:
            raise PolicyError(f"{where}: target {target}: {exc}") from None
    return {t: targets[t] for t in TARGETS if t in targets}


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


# ---- teams and the contact-centre figures' keys ----------------------------------------------


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
        if len(agent) > MAX_NAME or not agent.isprintable():
            raise PolicyError(
                f"agents[{i}]: an agent id is at most {MAX_NAME} printable characters"
            )
        if agent in RESERVED_AGENTS:
            raise PolicyError(f"agents[{i}]: {agent!r} is reserved (unlisted / unknown agents)")
        if agent in seen:
            raise PolicyError(f"agents[{i}]: agent {agent!r} is listed twice")
        seen.add(agent)
    return tuple(raw)


def parse_teams(raw: Any) -> tuple[str, ...] | None:
    """``teams: [billing, technical]``: the team label values kept (None: the first seen)."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(team, str) and team for team in raw):
        raise PolicyError("teams must be a list of team names, like [billing, technical]")
    for team in raw:
        if len(team) > MAX_NAME or not team.isprintable():
            raise PolicyError(f"teams: a team name is at most {MAX_NAME} printable characters")
    return tuple(raw)


def _parse_max_teams(doc: Mapping[str, Any]) -> int:
    """``max_teams``: how many distinct teams are kept without a ``teams`` list."""
    max_teams = doc.get("max_teams", DEFAULT_MAX_TEAMS)
    if (
        isinstance(max_teams, bool)
        or not isinstance(max_teams, int)
        or not 1 <= max_teams <= MAX_TEAMS
    ):
        raise PolicyError(f"max_teams must be a whole number from 1 to {MAX_TEAMS}")
    return max_teams
