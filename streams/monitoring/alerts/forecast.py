"""The forecast's alerts: the next hour's service level by Erlang C, contact surges against
the same hour of past weeks, a backlog that does not clear (docs/forecast.md). The recording
rules they read: rules/forecast.py."""

from __future__ import annotations

from streams.monitoring.alerts.alert import Alert
from streams.monitoring.config import MonitoringConfig
from streams.monitoring.rules.forecast import (
    ARRIVALS,
    BACKLOG,
    BACKLOG_USUAL,
    CLEARS_IN,
    DRAIN,
    OUTFLOW,
    RECENT,
    RECENT_VS_BASELINE,
    SHORT,
    SL,
    threshold_seconds,
)

FORECAST_LOW = "ServicePulseServiceLevelForecastLow"
SURGE = "ServicePulseContactSurge"
NOT_CLEARING = "ServicePulseBacklogNotClearing"

Rule = dict[str, str]


def alerts(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    goal = t.service_level_min
    threshold = threshold_seconds(config)
    eta_hours = t.backlog_eta_max_seconds / 3600
    recent = t.forecast_recent_window
    return [
        Alert(
            FORECAST_LOW,
            "forecast",
            f"{SL} < {goal:g}\nand on (team)\n{ARRIVALS} * 3600 >= {t.forecast_min_contacts}",
            "warning",
            "Team {{ $labels.team }} is forecast below its service level in the next hour",
            f"""\
Erlang C forecasts {{{{ $value | humanizePercentage }}}} of the phone and chat contacts of
team {{{{ $labels.team }}}} answered within {threshold:g} s in the next hour
(goal {goal * 100:g} %), with the agents planned for the coming hour (or on duty now, without
a plan), the arrivals of the last {recent} blended
with the next hour of past weeks and the day's handle time. Agents to add:
{SHORT}.""",
            f"forecast service level (Erlang C) < {goal * 100:g}% with >= "
            f"{t.forecast_min_contacts} phone/chat contacts forecast for the hour",
            for_=t.forecast_for,
            comment="The next hour by Erlang C (docs/forecast.md); a quiet hour never fires.",
        ),
        Alert(
            SURGE,
            "forecast",
            f"{RECENT_VS_BASELINE.format(w=recent)} >= {t.surge_ratio:g}\nand on (team)\n"
            f"{RECENT.format(w=recent)} >= {t.surge_min_contacts}",
            "warning",
            "Contacts of team {{ $labels.team }} surge above the usual for this hour",
            f"""\
Team {{{{ $labels.team }}}} receives contacts at {{{{ $value | humanize }}}} times the pace of the
same hour of the week over the past {t.forecast_weeks} weeks (over the last {recent}, at least
{t.surge_min_contacts} contacts): the queue will grow before the SLA alerts say so.""",
            f"contacts in {recent} at >= {t.surge_ratio:g} x the hourly pace of the same hour of "
            f"the past {t.forecast_weeks} weeks, >= {t.surge_min_contacts} contacts in {recent}",
            for_=t.surge_for,
            comment="Against the hour-of-week baseline; no baseline (under 4 weeks): quiet.",
        ),
        Alert(
            NOT_CLEARING,
            "forecast",
            f"{BACKLOG} >= {t.backlog_eta_min_open}\n"
            f"and on (team) {BACKLOG} > on (team) {t.backlog_usual_ratio:g} * {BACKLOG_USUAL}\n"
            f"and on (team) {OUTFLOW} > 0\n"
            f"and on (team) (\n  {DRAIN} <= 0\n  or\n"
            f"  {CLEARS_IN} > {t.backlog_eta_max_seconds}\n)",
            "warning",
            "The backlog of team {{ $labels.team }} does not clear within "
            f"{eta_hours:g} hours at this pace",
            f"""\
Team {{{{ $labels.team }}}} has {{{{ $value }}}} open tickets, more than {t.backlog_usual_ratio:g} times its
usual for this hour ({BACKLOG_USUAL}), and at the last hour's pace (resolved and abandoned
against created) they clear in more than {eta_hours:g} hours or never. {CLEARS_IN} gives
the time.""",
            f"open tickets >= {t.backlog_eta_min_open} and > {t.backlog_usual_ratio:g} x the "
            f"usual (same hour of the past {t.forecast_weeks} weeks, else the last "
            f"{t.backlog_usual_fallback_window}), someone resolving, and at the last hour's pace "
            f"cleared in > {eta_hours:g}h or never",
            for_=t.backlog_eta_for,
            comment="Above its usual size, while the team works: a steady backlog and a quiet "
            "night's wait.",
        ),
    ]
