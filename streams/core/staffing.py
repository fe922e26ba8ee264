"""Planned agents per team and hour: the policy file's ``staffing`` key (contract section 2).

``staffing: {billing: {mon-fri 09:00-18:00: 6, sat 10:00-14:00: 2}}`` says how many agents a
team plans to have on duty. The exporter shows the plan as ``servicepulse_agents{team,
status="planned"}`` only for a team no ``agent.status`` event has been seen for: a team that
reports its agents' presence is counted from it, never from the plan (docs/policies.md).
Every team of the plan also gets ``status="planned_next_hour"``, the plan of the coming clock
hour, which the next-hour service-level forecast staffs with (docs/forecast.md): a shift that
starts at 09:00 counts from 08:00 on, for the 09:00-10:00 forecast.

Hours are local wall-clock hours in the time zone of the team's calendar (:func:`team_zone`);
outside every window, and on the calendar's holidays, a team plans 0 agents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

PLANNED = "planned"  # the status label value of the planned agents
PLANNED_NEXT_HOUR = "planned_next_hour"  # ... and of those planned for the coming clock hour
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Shift:
    """``days`` (0 = Monday) from ``start`` to ``end`` (minutes of the local day): ``agents``."""

    days: frozenset[int]
    start: int  # minutes after local midnight, inclusive
    end: int  # minutes after local midnight, exclusive (1440 = 24:00)
    agents: int

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and self.start <= minute < self.end


@dataclass(frozen=True)
class TeamPlan:
    """One team's shifts, in the time zone ``zone``, none on ``holidays`` (local dates)."""

    shifts: tuple[Shift, ...]
    zone: ZoneInfo = UTC_ZONE
    holidays: frozenset[int] = field(default_factory=frozenset)  # date ordinals

    def planned(self, ts: float) -> int:
        """Agents planned at ``ts`` (seconds since the epoch): the covering shift's, else 0."""
        local = datetime.fromtimestamp(ts, self.zone)
        if local.toordinal() in self.holidays:
            return 0
        weekday, minute = local.weekday(), local.hour * 60 + local.minute
        return next((s.agents for s in self.shifts if s.covers(weekday, minute)), 0)

    def planned_next_hour(self, ts: float) -> int:
        """Agents planned at the start of the local clock hour after ``ts``'s."""
        local = datetime.fromtimestamp(ts, self.zone)
        into_hour = local.minute * 60 + local.second + local.microsecond / 1e6
        return self.planned(ts - into_hour + 3600)


@dataclass(frozen=True)
class Staffing:
    """team -> :class:`TeamPlan` (the parsed ``staffing`` key)."""

    teams: Mapping[str, TeamPlan] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "teams", MappingProxyType(dict(self.teams)))

    def planned(self, team: str, ts: float) -> int:
        plan = self.teams.get(team)
        return 0 if plan is None else plan.planned(ts)

    def planned_next_hour(self, team: str, ts: float) -> int:
        plan = self.teams.get(team)
        return 0 if plan is None else plan.planned_next_hour(ts)


def with_planned(
    counts: Mapping[tuple[str, str], int], staffing: Staffing | None, now: float
) -> Counter[tuple[str, str]]:
    """Agents per (team, status), plus ``(team, "planned")`` for every team of the plan that
    has no agent counted from ``agent.status`` (0 outside its shifts: a series, not a gap),
    and ``(team, "planned_next_hour")`` for every team of the plan."""
    out: Counter[tuple[str, str]] = Counter(counts)
    if staffing is None:
        return out
    reporting = {team for team, _ in counts}
    for team in staffing.teams:
        if team not in reporting:
            out[(team, PLANNED)] = staffing.planned(team, now)
        out[(team, PLANNED_NEXT_HOUR)] = staffing.planned_next_hour(team, now)
    return out
