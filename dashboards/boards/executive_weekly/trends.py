"""Executive weekly board, row "Trends, 12 weeks": one value per complete ISO week."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.models import common as cm

from dashboards import lib
from dashboards import windows as win
from dashboards.lib import COUNT, RATIO, Target
from dashboards.targets import (
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    SlaTargets,
)

WEEKS = "12w"
HOW = (
    " One point per complete ISO week (Monday to Sunday, UTC), drawn at the week's Thursday;"
    " the week under way appears once it has ended."
)


def trend(
    title: str,
    description: str,
    query: Callable[[win.Window], str],
    *,
    unit: str,
    steps: tuple[lib.Step, ...] | None = None,
    bars: bool = False,
) -> timeseries.Panel:
    """A figure per ISO week over the last 12 weeks (1-week steps: Thursdays, see windows)."""
    p = lib.timeseries_panel(
        title,
        description + HOW,
        [Target(f"({query(win.ISO_WEEK)}) and on () {win.WEEK_ENDED}", title)],
        unit=unit,
        steps=steps,
        w=6,
        h=7,
        bars=bars,
        min_zero=unit == COUNT,
        max_value=1 if unit == RATIO else None,
    )
    p = p.interval("1w").time_from(WEEKS).max_data_points(100)
    if not bars:
        p = p.show_points(cm.VisibilityMode.ALWAYS).point_size(7)
    return p


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Trends, 12 weeks"))
    d = d.with_panel(
        trend("Contacts per week", "Tickets created per week.", win.volume, unit=COUNT, bars=True)
    )
    d = d.with_panel(
        trend(
            "CSAT per week",
            f"Share of CSAT answers scoring 4 or 5, per week. Dashed lines: goal {CSAT_GOAL:.0%}, "
            f"red below {CSAT_FLOOR:.0%}.",
            win.csat,
            unit=RATIO,
            steps=lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
        )
    )
    d = d.with_panel(
        trend(
            "SLA attainment per week",
            f"Share of SLA clocks met, per week. Dashed lines: objective "
            f"{ATTAINMENT_OBJECTIVE:.0%}, red below {ATTAINMENT_FLOOR:.0%}.",
            win.attainment,
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
        )
    )
    d = d.with_panel(
        trend(
            "First-contact resolution per week",
            f"Share of resolutions with at most one agent reply, no transfer, no reopen, per "
            f"week. Dashed lines: goal {FCR_GOAL:.0%}, red below {FCR_FLOOR:.0%}.",
            win.fcr,
            unit=RATIO,
            steps=lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
        )
    )
    return d
