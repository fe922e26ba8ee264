"""Executive weekly board, row "Volume and complaints"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.executive_weekly.common import THIS_WEEK, WEEK_BEFORE, weekly
from dashboards.lib import COUNT, SECONDS, Target
from dashboards.targets import SlaTargets, human


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Volume and complaints"))
    d = d.with_panel(
        lib.stat_panel(
            "Contacts",
            "Tickets created (all channels).",
            weekly(":servicepulse_tickets_created:increase7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=5,
            h=8,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Contacts by channel",
            "Tickets created per channel, this week (blue) and the week before (purple).",
            [
                Target(
                    "sum by (channel) (increase(servicepulse_tickets_created_total[7d]))",
                    "{{channel}} · " + THIS_WEEK.lower(),
                    instant=True,
                ),
                Target(
                    "sum by (channel) "
                    f"(increase(servicepulse_tickets_created_total[7d]{q.PREVIOUS}))",
                    "{{channel}} · " + WEEK_BEFORE,
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            w=9,
            h=8,
        )
        .decimals(0)
        .override_by_query(
            "B",
            [
                dm.DynamicConfigValue(
                    id_val="color", value={"mode": "fixed", "fixedColor": lib.PREVIOUS}
                )
            ],
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Complaints",
            "Tickets of category complaint created.",
            weekly(":servicepulse_complaints:increase7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=5,
            h=8,
        )
    )
    res = sla.default.get("resolution")
    d = d.with_panel(
        lib.stat_panel(
            "Complaint resolution",
            "How fast complaints were resolved: median resolution time of complaint tickets "
            "(SLA-clock time)."
            + (
                f" Orange from {sla.at_risk:.0%} of the default resolution target"
                f" ({human(res)}), red from the target."
                if res
                else ""
            ),
            weekly(
                "histogram_quantile(0.5, sum by (le) "
                "(increase(servicepulse_complaint_resolution_seconds_bucket[7d])))"
            ),
            unit=SECONDS,
            steps=sla.time_steps("resolution"),
            w=5,
            h=8,
        )
    )
    return d
