"""The policy file's keys beyond the contract's: short_abandon, agents, max_agents, teams,
a policy's warn_before, and the optional keys objectives, ola and staffing (contract section 2).

Kept apart from policy.py (whose ``parse_policy`` calls these); the keys and their
defaults are described in docs/policies.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy import (
    DEFAULT_MAX_AGENTS,
    DEFAULT_SHORT_ABANDON,
    DEFAULT_SLO_WINDOW,
    Objectives,
    Ola,
    Policy,
    PolicyError,
    parse_duration,
)
from streams.core.staffing import Shift, Staffing, TeamPlan
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
        if not isinstance(team, str) or not team or len(team) > 64 or not team.isprintable():
            raise PolicyError(
                f"ola: teams: a team name is at most 64 printable characters, not {team!r}"
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


STAFFING_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAFFING_MAX_AGENTS = 10_000  # planned agents of one window, at most (presence.MAX_AGENTS)
_STAFFING_WINDOW_RE = re.compile(r"([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


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
        if not isinstance(team, str) or not team or len(team) > 64 or not team.isprintable():
            raise PolicyError(
                f"staffing: a team name is at most 64 printable characters, not {team!r}"
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
