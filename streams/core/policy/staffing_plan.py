"""The policy file's ``staffing``: planned agents per team, days and local hours.

Read into :class:`streams.core.staffing.Staffing`, which the boards show only for teams
without ``agent.status`` events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy.model import MAX_NAME, Policy, PolicyError, is_team_name
from streams.core.staffing import Shift, Staffing, TeamPlan

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
        if not is_team_name(team):
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
