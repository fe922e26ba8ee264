"""Executive weekly board, row "Customers"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards.boards.executive_weekly.common import tile
from dashboards.targets import (
    CES_FLOOR,
    CES_GOAL,
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    NPS_FLOOR,
    NPS_GOAL,
    SlaTargets,
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Customers"))
    d = d.with_panel(
        tile(
            "CSAT",
            f"Customer satisfaction: share of CSAT survey answers scoring 4 or 5 out of 5. "
            f"Goal {CSAT_GOAL:.0%}; red below {CSAT_FLOOR:.0%}. Higher is better.",
            lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
        )
    )
    d = d.with_panel(
        tile(
            "NPS",
            f"Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to "
            f"100. Goal {NPS_GOAL:g}; red below {NPS_FLOOR:g}. Higher is better.",
            lib.higher_is_better(NPS_GOAL, NPS_FLOOR),
        )
    )
    d = d.with_panel(
        tile(
            "CES",
            f"Customer effort score: mean answer from 1 (very difficult) to 7 (very easy). "
            f"Goal {CES_GOAL:g}; red below {CES_FLOOR:g}. Higher is better.",
            lib.higher_is_better(CES_GOAL, CES_FLOOR),
        )
    )
    d = d.with_panel(
        tile(
            "First-contact resolution",
            f"Share of resolutions reached with at most one agent reply, no transfer and no "
            f"reopen. Goal {FCR_GOAL:.0%}; red below {FCR_FLOOR:.0%}. Higher is better.",
            lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
        )
    )
    return d
