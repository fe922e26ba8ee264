"""Executive weekly board, row "Volume and complaints"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.boards.executive_weekly.common import pair_bars, tile
from dashboards.lib import COUNT
from dashboards.targets import SlaTargets, human


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Volume and complaints"))
    d = d.with_panel(
        tile(
            "Contacts",
            "Tickets created (all channels). Volume: neither good nor bad (blue).",
            lib.neutral(),
        )
    )
    d = d.with_panel(
        pair_bars(
            "Contacts by channel",
            "Tickets created per channel, this week (blue) and the week before (purple).",
            lambda w: win.volume(w, ("channel",)),
            "{{channel}}",
            unit=COUNT,
            steps=lib.neutral(),
            w=6,
        )
    )
    d = d.with_panel(
        tile(
            "Complaints",
            "Tickets of category complaint created. Fewer complaints count as better.",
            lib.neutral(),
        )
    )
    res = sla.target_seconds("resolution")
    d = d.with_panel(
        tile(
            "Complaint resolution",
            "How fast complaints were resolved: median resolution time of complaint tickets "
            "(SLA-clock time)."
            + (
                f" Orange from {sla.at_risk:.0%} of the default resolution target"
                f" ({human(res)}), red from the target."
                if res
                else ""
            )
            + " Lower is better.",
            sla.time_steps("resolution"),
        )
    )
    return d
