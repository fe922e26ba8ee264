"""Executive weekly board, row "Service levels"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.boards.executive_weekly.common import FASTER, pair_bars, tile
from dashboards.lib import RATIO
from dashboards.targets import (
    ABANDON_BAD,
    ABANDON_WARN,
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
    SlaTargets,
    human,
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Service levels"))
    d = d.with_panel(
        tile(
            "SLA attainment",
            f"Share of all SLA clocks (first response, next reply, resolution) met. "
            f"Objective {ATTAINMENT_OBJECTIVE:.0%}; red below {ATTAINMENT_FLOOR:.0%}. "
            f"Higher is better.",
            lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
        )
    )
    d = d.with_panel(
        pair_bars(
            "SLA attainment by target",
            f"Attainment per SLA target, this week and the week before (purple). Objective "
            f"{ATTAINMENT_OBJECTIVE:.0%}.",
            lambda w: win.attainment(w, ("target",)),
            "{{target}}",
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            decimals=1,
        ).max(1)
    )
    for target, label in (("first_response", "First response"), ("resolution", "Resolution")):
        seconds = sla.target_seconds(target)
        goal = (
            f" Orange from {sla.at_risk:.0%} of the default target ({human(seconds)}),"
            " red from the target."
            if seconds
            else ""
        )
        for quant, qname in (("p50", "median"), ("p90", "p90")):
            d = d.with_panel(
                tile(
                    f"{label}, {qname}",
                    f"{label} time in SLA-clock time ({FASTER[quant]}).{goal} Lower is better.",
                    sla.time_steps(target),
                )
            )
    d = d.with_panel(
        tile(
            "Abandonment",
            f"Phone and chat contacts abandoned before any response, as a share of those "
            f"created (short abandons left out). Goal below {ABANDON_WARN:.0%}; red from "
            f"{ABANDON_BAD:.0%}. Lower is better.",
            lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
        )
    )
    d = d.with_panel(
        tile(
            "Average open backlog",
            "Tickets open at the same time, on average over the week. No goal (blue); a "
            "shrinking backlog counts as better.",
            lib.neutral(),
        )
    )
    return d
