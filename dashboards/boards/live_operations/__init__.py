"""Live operations board: the header and variables here, one module per row."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards.boards.live_operations import (
    backlog,
    next_deadlines,
    next_hour,
    pipeline,
    right_now,
    service_level,
    speed_and_flow,
    volume_and_backlog,
)
from dashboards.boards.live_operations.common import UID
from dashboards.targets import SlaTargets

ROWS = (
    right_now,
    next_deadlines,
    service_level,
    next_hour,
    backlog,
    volume_and_backlog,
    speed_and_flow,
    pipeline,
)


def build(sla: SlaTargets) -> dash.Dashboard:
    d = (
        dash.Dashboard("ServicePulse — Live operations")
        .uid(UID)
        .description(
            "The contact centre right now: backlog, unanswered contacts, SLA clocks at risk "
            "and breached, response and resolution times, abandonment, and the health of "
            "the ServicePulse pipeline. Refreshes every 15 s. Rates are per wall-clock hour: "
            "under `servicepulse demo --speed N` they read N times the simulated pace."
        )
        .tags(["servicepulse", "live"])
        .refresh("15s")
        .time("now-6h", "now")
        .timezone("browser")
        .readonly()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash.QueryVariable("team")
            .label("Team")
            .description("Support teams to show (All = the whole contact centre).")
            .datasource(lib.PROMETHEUS)
            .query("label_values(servicepulse_tickets_created_total, team)")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
        )
    )
    for row in ROWS:
        d = row.add(d, sla)
    return d
