"""Executive weekly board, row "Teams": each team's week beside the week before."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.boards.executive_weekly.figures import FIGURES, POINTS, Figure
from dashboards.lib import COUNT, RATIO, Target
from dashboards.targets import (
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    SlaTargets,
)

TEAM = ("team",)
# rows of ~10 teams visible before the table scrolls (it opens on the largest teams)
TEAM_TABLE_HEIGHT = 12
Column = tuple[str, Target, str, Sequence[lib.Step]]


def _columns(
    header: str,
    figure: Figure,
    query: Callable[[win.Window], str],
    steps: Sequence[lib.Step],
) -> list[Column]:
    """This week, the week before and the change of one figure, per team."""
    this = query(win.THIS_WEEK)
    before = win.week_before(this)
    scale = f"{figure.change_scale:g} * " if figure.change_scale != 1 else ""
    unit = figure.change_unit or figure.unit
    return [
        (header, Target(this, table=True), figure.unit, steps),
        (f"{header} before", Target(before, table=True), figure.unit, steps),
        (f"{header} change", Target(f"{scale}(({this}) - ({before}))", table=True), unit,
         figure.change_steps()),
    ]  # fmt: skip


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Teams"))
    columns = [
        *_columns("Contacts", FIGURES["Contacts"], lambda w: win.volume(w, TEAM), lib.neutral()),
        *_columns(
            "CSAT",
            FIGURES["CSAT"],
            lambda w: win.csat(w, TEAM),
            lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
        ),
        *_columns(
            "FCR",
            FIGURES["First-contact resolution"],
            lambda w: win.fcr(w, TEAM),
            lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
        ),
        *_columns(
            "SLA",
            FIGURES["SLA attainment"],
            lambda w: win.attainment(w, TEAM),
            sla.overall_steps(),
        ),
        *_columns(
            "First response",
            FIGURES["First response, median"],
            lambda w: win.quantile(0.5, "servicepulse_first_response_seconds", w, TEAM),
            sla.time_steps("first_response"),
        ),
    ]
    decimals = {
        header: 1 if unit in (RATIO, POINTS) else 0
        for header, _t, unit, _s in columns
        if unit in (RATIO, POINTS, COUNT)
    }
    d = d.with_panel(
        lib.table_panel(
            "Teams, this week and the week before",
            "One row per support team: contacts, CSAT, first-contact resolution (FCR), SLA "
            "attainment and median first response of this week, the week before and the "
            "change (shares in percentage points). Figures coloured by the goals of the tiles "
            "above, changes green when better, red when worse (contacts: blue). Sorted by "
            "contacts, largest team first; the table scrolls.",
            columns,
            key="team",
            h=TEAM_TABLE_HEIGHT,
            decimals=decimals,
            min_width=70,
            sort_by="Contacts",
            descending=True,
        )
    )
    day = win.DAY
    goal, floor = sla.overall_objective()
    d = d.with_panel(
        lib.timeseries_panel(
            "CSAT and SLA attainment, day by day",
            f"Rolling 24-hour CSAT and SLA attainment over the range shown (on hourly points). "
            f"Dashed lines: {floor:.0%} and {goal:.0%} (the SLA objective).",
            [Target(win.csat(day), "CSAT"), Target(win.attainment(day), "SLA attainment")],
            unit=RATIO,
            steps=sla.overall_steps(),
            max_value=1,
            min_zero=False,
        ).interval("1h")
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Contacts per day by channel",
            "Tickets created in the rolling last 24 hours, per channel (on hourly points).",
            [Target(win.volume(day, ("channel",)), "{{channel}}")],
            unit=COUNT,
            stacked=True,
        ).interval("1h")
    )
    return d
