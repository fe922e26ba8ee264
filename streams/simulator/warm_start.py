"""Where the demo's simulated clock starts, and the history simulated before it.

The demo opens on a busy weekday afternoon in the time zone of the policy's business
calendar (the calendar of the catch-all policy, else the first business calendar, else
UTC Mon-Fri), after simulating ``history`` of the preceding time at full speed, so the
backlog, the running SLA clocks and every team's figures exist when the board first draws.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy import PolicySet

BUSY_HOUR = 14  # local hour of the warm start: the weekday peak of the simulated profile


def business_calendar(policies: PolicySet) -> Calendar | None:
    """The calendar whose time zone and open days the warm start follows."""
    catch_all = [p for p in policies.policies if not p.match]
    for policy in (*catch_all, *policies.policies):
        if policy.calendar is not ALWAYS and policy.calendar.name != ALWAYS.name:
            return policy.calendar
    return None


def busy_start(policies: PolicySet, now: float, hour: int = BUSY_HOUR) -> float:
    """The latest ``hour``:00 local on an open business day at or before ``now``."""
    calendar = business_calendar(policies)
    tz = calendar.tz if calendar is not None else ZoneInfo("UTC")
    local = datetime.fromtimestamp(now, tz)
    day = local.date()
    for _ in range(400):  # a year of holidays cannot hide every open day
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=tz).timestamp()
        if candidate <= now and _open_day(calendar, candidate):
            return candidate
        day -= timedelta(days=1)
    return now


def _open_day(calendar: Calendar | None, t: float) -> bool:
    if calendar is None:
        return datetime.fromtimestamp(t, UTC).weekday() < 5
    return calendar.is_open(t)
