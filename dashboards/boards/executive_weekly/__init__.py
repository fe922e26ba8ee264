"""Executive weekly board: the header, time settings and the period switch; one module per row."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards.boards.executive_weekly import (
    customers,
    quality,
    service_levels,
    teams,
    trends,
    volume_and_complaints,
)
from dashboards.boards.executive_weekly.common import INTRO, UID
from dashboards.targets import SlaTargets

ROWS = (
    customers,
    service_levels,
    quality,
    volume_and_complaints,
    trends,
    teams,
)

# The period switch: title -> (from, to). Grafana ends "now-1w/w" at Sunday 23:59:59.999 of
# the week before; the queries read the counters at the next second (dashboards/windows.py).
PERIODS = {
    "Last 7 days": ("now-7d", "now"),
    "Last calendar week": ("now-1w/w", "now-1w/w"),
}


def period_link(title: str) -> dash.DashboardLink:
    start, end = PERIODS[title]
    return (
        dash.DashboardLink(title)
        .type(dm.DashboardLinkType.LINK)
        .url(f"/d/{UID}?from={start}&to={end}")
        .icon("dashboard")
        .tooltip(f"{title}: this week = {start} to {end}, against the same length before it")
        .keep_time(False)
        .include_vars(False)
        .target_blank(False)
        .as_dropdown(False)
    )


def build(sla: SlaTargets) -> dash.Dashboard:
    start, end = PERIODS["Last 7 days"]
    d = (
        dash.Dashboard("ServicePulse — Executive weekly")
        .uid(UID)
        .description(
            "Customer satisfaction, service levels and volume of this week (the last 7 days "
            "or the last calendar week) against the week before, 12-week trends and a "
            "per-team summary."
        )
        .tags(["servicepulse", "weekly", "executive"])
        .refresh("5m")
        .time(start, end)
        .timezone("utc")  # ISO weeks in UTC, as servicepulse report
        .week_start("monday")
        .links([period_link(title) for title in PERIODS])
        .readonly()
    )
    d = d.with_panel(
        lib.text_panel(
            "How to read this board",
            "What the periods, colours, arrows and numbers of each tile mean.",
            INTRO,
            w=24,
            h=5,
        )
    )
    for row in ROWS:
        d = row.add(d, sla)
    return d
