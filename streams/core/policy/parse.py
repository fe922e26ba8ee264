"""The policy document (the loaded YAML, contract section 2) -> :class:`PolicySet`.

One parser per key, each giving a one-line :class:`PolicyError` that names where:
``policy 'vip-urgent': unknown calendar 'eu-ofice'``. The decisions:

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
* Unknown keys anywhere are errors (a typo is never ignored).
* Every target must be reachable by its calendar within 10 years of calendar time
  (``days: [sun]``, one minute a day and ``3650d`` is refused at load, not at the first
  ticket).
* ``teams: [..]`` lists the teams (others are counted as ``other``); without it, the first
  ``max_teams`` (default 100) distinct teams are kept (see teams.py).
* The keys beyond the contract's (``warn_before``, ``short_abandon``, ``agents``,
  ``max_agents``, ``objectives``, ``ola``, ``staffing``) are described in docs/policies.md;
  ``objectives`` changes no SLA clock, only the generated rules, and ``staffing`` is shown
  only for teams without agent.status.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from streams.core.calendar import ALWAYS, Calendar, CalendarError
from streams.core.policy.model import (
    DEFAULT_AT_RISK,
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    DEFAULT_SLO_WINDOW,
    MATCH_KEYS,
    MATCH_VALUES,
    NO_POLICY,
    Objectives,
    Ola,
    Policy,
    PolicyError,
    PolicySet,
    choices,
)
from streams.core.staffing import Shift, Staffing, TeamPlan
from streams.core.teams import DEFAULT_MAX_TEAMS
from streams.core.vocabulary import TARGETS

MAX_DURATION = 3650 * 86400.0
MAX_TEAMS = 10_000  # the largest max_teams
MAX_NAME = 64  # characters of a team name or an agent id, as the contract bounds agent_id
REACH_FROM = 1_767_225_600.0  # 2026-01-01T00:00:00Z: where reachability is checked from
REACH_YEARS = 10
RESERVED_AGENTS = ("other", "none")  # the labels of unlisted agents and of no agent
OBJECTIVE_KEYS = ("window", *TARGETS, "teams")
SLO_WINDOW_MIN = 86400.0  # 1d: the objectives' window is at least a day ...
SLO_WINDOW_MAX = 366 * 86400.0  # ... and at most a year
STAFFING_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAFFING_MAX_AGENTS = 10_000  # planned agents of one window, at most (presence.MAX_AGENTS)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DURATION_RE = re.compile(r"([+-]?)(\d*\.?\d*)([A-Za-z]*)")
_SHARE_RE = re.compile(r"(\d{1,3}(?:\.\d{1,6})?)\s*%")
_STAFFING_WINDOW_RE = re.compile(r"([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
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


def _is_name(team: Any) -> bool:
    """A team name: a non-empty string of at most ``MAX_NAME`` printable characters."""
    return isinstance(team, str) and 0 < len(team) <= MAX_NAME and team.isprintable()


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


# ---- objectives and OLA -----------------------------------------------------------------------


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
        if not _is_name(team):
            raise PolicyError(
                f"objectives: teams: a team name is at most {MAX_NAME} printable characters, "
                f"not {team!r}"
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


def parse_ola(raw: Any) -> Ola:
    """``ola: {default: 8h, teams: {second-line: 1d}}``: how long one team may hold a ticket.

    Without ``default`` only the listed teams are measured; a team's target replaces the default.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PolicyError("ola must be a mapping like {default: 8h, teams: {second-line: 1d}}")
    for key in raw:
        if key not in ("default", "teams"):
            raise PolicyError(f"ola: unknown key {key!r} (allowed: default, teams)")
    default = _ola_duration("ola: default", raw["default"]) if "default" in raw else None
    by_team = raw.get("teams")
    by_team = {} if by_team is None else by_team
    if not isinstance(by_team, Mapping):
        raise PolicyError("ola: teams must be a mapping like {second-line: 1d}")
    teams: dict[str, float] = {}
    for team, value in by_team.items():
        if not _is_name(team):
            raise PolicyError(
                f"ola: teams: a team name is at most {MAX_NAME} printable characters, not {team!r}"
            )
        teams[team] = _ola_duration(f"ola: teams: {team}", value)
    return Ola(default, teams)


def _ola_duration(where: str, value: Any) -> float:
    try:
        return parse_duration(value)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


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


# ---- staffing ---------------------------------------------------------------------------------


def parse_staffing(
    raw: Any, policies: Iterable[Policy], teams: tuple[str, ...] | None = None
) -> Staffing:
    """``staffing: {billing: {mon-fri 09:00-18:00: 6, sat 10:00-14:00: 2}}`` -> Staffing.

    A window is days (``mon``, ``mon-fri``, ``mon,wed,fri``, ``sat-sun``) and local hours
    ``HH:MM-HH:MM`` (end after start, ``24:00`` may end it; no window across midnight: write
    two); a team's windows must not overlap. Hours are local to the team's calendar
    (:func:`team_calendar`), and its holidays plan no agent.
    """
    if not isinstance(raw, Mapping):
        raise PolicyError("staffing must be a mapping like {billing: {mon-fri 09:00-18:00: 6}}")
    plans: dict[str, TeamPlan] = {}
    for team, body in raw.items():
        if not _is_name(team):
            raise PolicyError(
                f"staffing: a team name is at most {MAX_NAME} printable characters, not {team!r}"
            )
        where = f"staffing: {team}"
        if teams is not None and team not in teams and team != "other":
            raise PolicyError(f"{where}: not one of the policy's teams (its series are 'other')")
        if not isinstance(body, Mapping) or not body:
            raise PolicyError(f"{where}: must be a mapping like {{mon-fri 09:00-18:00: 6}}")
        shifts = [_shift(where, window, agents) for window, agents in body.items()]
        for i, one in enumerate(shifts):
            for other in shifts[i + 1 :]:
                common = one.days & other.days
                if common and one.start < other.end and other.start < one.end:
                    day = STAFFING_DAYS[min(common)]
                    raise PolicyError(
                        f"{where}: windows {_window_text(one)!r} and {_window_text(other)!r} "
                        f"overlap on {day}"
                    )
        calendar = team_calendar(policies, team)
        holidays = frozenset(d.toordinal() for d in calendar.holidays)
        plans[team] = TeamPlan(tuple(shifts), calendar.tz, holidays)
    return Staffing(plans)


def team_calendar(policies: Iterable[Policy], team: str) -> Calendar:
    """The calendar a team's hours are read in: the first policy matching on ``team`` alone
    (``match: {team: billing}``), else the catch-all policy's (``match: {}``), else 24x7 UTC."""
    catch_all = None
    for policy in policies:
        if dict(policy.match) == {"team": team}:
            return policy.calendar
        if not policy.match and catch_all is None:
            catch_all = policy.calendar
    return catch_all if catch_all is not None else ALWAYS


def _shift(where: str, window: Any, agents: Any) -> Shift:
    bad = (
        f"{where}: window {window!r} must be days and hours like 'mon-fri 09:00-18:00' "
        "(days mon..sun, a range or a comma list)"
    )
    text = window.strip().lower() if isinstance(window, str) else ""
    match = _STAFFING_WINDOW_RE.fullmatch(text)
    if match is None:
        raise PolicyError(bad)
    days: set[int] = set()
    for part in match[1].split(","):
        first, _, last = part.partition("-")
        if first not in STAFFING_DAYS or (last and last not in STAFFING_DAYS):
            raise PolicyError(bad)
        a, b = STAFFING_DAYS.index(first), STAFFING_DAYS.index(last or first)
        if b < a:
            raise PolicyError(f"{where}: window {window!r}: a day range runs mon to sun, not back")
        days.update(range(a, b + 1))
    h1, m1, h2, m2 = (int(match[i]) for i in range(2, 6))
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440 or end <= start:
        raise PolicyError(
            f"{where}: window {window!r}: hours run from 00:00 to 24:00 and end after they start "
            "(across midnight: write two windows)"
        )
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise PolicyError(f"{where}: window {window!r}: agents must be a whole number, like 6")
    if agents > STAFFING_MAX_AGENTS:
        raise PolicyError(f"{where}: window {window!r}: at most {STAFFING_MAX_AGENTS} agents")
    return Shift(frozenset(days), start, end, agents)


def _window_text(shift: Shift) -> str:
    days = ",".join(STAFFING_DAYS[d] for d in sorted(shift.days))
    start, end = divmod(shift.start, 60), divmod(shift.end, 60)
    return f"{days} {start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}"
