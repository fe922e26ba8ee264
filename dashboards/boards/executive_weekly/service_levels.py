"""Executive weekly board, row "Service levels"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.executive_weekly.common import FASTER, weekly
from dashboards.lib import COUNT, RATIO, SECONDS, Target
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
        lib.stat_panel(
            "SLA attainment",
            f"Share of all SLA clocks (first response, next reply, resolution) met. "
            f"Objective {ATTAINMENT_OBJECTIVE:.0%}; red below {ATTAINMENT_FLOOR:.0%}.",
            weekly(q.outcome_ratio()),
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            decimals=1,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "SLA attainment by target",
            f"Attainment of the last 7 days per SLA target. Objective {ATTAINMENT_OBJECTIVE:.0%}.",
            [Target("target:servicepulse_sla_attainment:ratio_rate7d", "{{target}}", instant=True)],
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            w=6,
            h=6,
        )
        .max(1)
        .decimals(1)
    )
    for target, label in (("first_response", "First response"), ("resolution", "Resolution")):
        seconds = sla.default.get(target)
        goal = (
            f" Orange from {sla.at_risk:.0%} of the default target ({human(seconds)}),"
            " red from the target."
            if seconds
            else ""
        )
        for quant, qname in (("p50", "median"), ("p90", "p90")):
            d = d.with_panel(
                lib.stat_panel(
                    f"{label}, {qname}",
                    f"{label} time in SLA-clock time ({FASTER[quant]}).{goal}",
                    weekly(f":servicepulse_{target}_seconds:{quant}_rate7d"),
                    unit=SECONDS,
                    steps=sla.time_steps(target),
                    w=6,
                    h=6,
                )
            )
    d = d.with_panel(
        lib.stat_panel(
            "Abandonment",
            f"Phone and chat contacts abandoned before any response, as a share of those "
            f"created. Goal below {ABANDON_WARN:.0%}; red from {ABANDON_BAD:.0%}.",
            weekly(":servicepulse_abandonment:ratio_rate7d"),
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
            decimals=1,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Average open backlog",
            "Tickets open at the same time, on average over the week.",
            weekly(":servicepulse_open_tickets:avg_over_time7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=6,
            h=6,
        )
    )
    return d
