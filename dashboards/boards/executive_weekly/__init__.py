"""Executive weekly board: the header and variables here, one module per row."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards.boards.executive_weekly import (
    customers,
    quality,
    service_levels,
    teams,
    volume_and_complaints,
)
from dashboards.boards.executive_weekly.common import INTRO, UID
from dashboards.targets import SlaTargets

ROWS = (
    customers,
    service_levels,
    quality,
    volume_and_complaints,
    teams,
)


def build(sla: SlaTargets) -> dash.Dashboard:
    d = (
        dash.Dashboard("ServicePulse — Executive weekly")
        .uid(UID)
        .description(
            "Customer satisfaction, service levels and volume of the last 7 days against "
            "the 7 days before, and a per-team summary."
        )
        .tags(["servicepulse", "weekly", "executive"])
        .refresh("5m")
        .time("now-14d", "now")
        .timezone("browser")
        .readonly()
    )
    d = d.with_panel(
        lib.text_panel(
            "How to read this board",
            "What the colours and the two numbers of each tile mean.",
            INTRO,
            w=24,
            h=3,
        )
    )
    for row in ROWS:
        d = row.add(d, sla)
    return d
