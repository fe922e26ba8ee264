"""Executive weekly board, row "Trends, 12 weeks": one value per complete ISO week."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import barchart
from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.lib import COUNT, RATIO, Target
from dashboards.targets import (
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    SlaTargets,
)

HOW = (
    " One bar per complete ISO week (Monday to Sunday, UTC), the 12 that ended by the end of"
    " the board's range (a past week picked in the time picker shows its own 12 weeks),"
    " labelled by the week's Thursday; the week under way appears once it has ended."
)


def trend(
    title: str,
    description: str,
    query: Callable[[win.Window], str],
    *,
    unit: str,
    steps: tuple[lib.Step, ...] = lib.neutral(),
) -> barchart.Panel:
    """A figure per ISO week over the 12 weeks up to the board's end (windows.last_weeks)."""
    return lib.time_bars_panel(
        title,
        description + HOW,
        Target(win.last_weeks(query), title, instant=True),
        unit=unit,
        steps=steps,
        max_value=1 if unit == RATIO else None,
        decimals=1 if unit == RATIO else 0,
    )


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Trends, 12 weeks"))
    d = d.with_panel(
        trend("Contacts per week", "Tickets created per week.", win.volume, unit=COUNT)
    )
    d = d.with_panel(
        trend(
            "CSAT per week",
            f"Share of CSAT answers scoring 4 or 5, per week. Green from the goal "
            f"{CSAT_GOAL:.0%}, red below {CSAT_FLOOR:.0%}.",
            win.csat,
            unit=RATIO,
            steps=lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
        )
    )
    goal, floor = sla.overall_objective()
    d = d.with_panel(
        trend(
            "SLA attainment per week",
            f"Share of SLA clocks met, per week. Green from the objective {goal:.0%} (the "
            f"strictest of the SLA policy's objectives), red below {floor:.0%}.",
            win.attainment,
            unit=RATIO,
            steps=sla.overall_steps(),
        )
    )
    d = d.with_panel(
        trend(
            "First-contact resolution per week",
            f"Share of resolutions with at most one agent reply, no transfer, no reopen, per "
            f"week. Green from the goal {FCR_GOAL:.0%}, red below {FCR_FLOOR:.0%}.",
            win.fcr,
            unit=RATIO,
            steps=lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
        )
    )
    return d
