"""Executive weekly board, row "Service levels"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.boards.executive_weekly.common import FASTER, pair_bars, steps_value, tile
from dashboards.lib import RATIO
from dashboards.targets import (
    ABANDON_BAD,
    ABANDON_WARN,
    TARGET_NAMES,
    SlaTargets,
    human,
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Service levels"))
    objective, floor = sla.overall_objective()
    d = d.with_panel(
        tile(
            "SLA attainment",
            f"Share of all SLA clocks (first response, next reply, resolution) met. "
            f"Objective {objective:.0%} (the strictest of the SLA policy's objectives); red below "
            f"{floor:.0%}. Higher is better.",
            sla.overall_steps(),
        )
    )
    by_target = pair_bars(
        "SLA attainment by target",
        "Attainment per SLA target, this week (coloured against the target's objective: "
        + ", ".join(
            f"{t.replace('_', ' ')} {sla.objective(t)[0]:.0%}"
            for t in TARGET_NAMES
            if sla.measured(t)
        )
        + ") and the week before (purple).",
        lambda w: win.attainment(w, ("target",)),
        "{{target}}",
        unit=RATIO,
        steps=sla.overall_steps(),
        decimals=1,
    ).max(1)
    for target in TARGET_NAMES:
        if sla.measured(target):
            by_target = by_target.override_by_name(
                f"{target} · this week", [steps_value(sla.attainment_steps(target))]
            )
    d = d.with_panel(by_target)
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
