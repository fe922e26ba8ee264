"""Team lead SLA board, row "SLA attainment against policy"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.team_sla.common import ATTAIN
from dashboards.lib import RATIO, Target
from dashboards.targets import ATTAINMENT_FLOOR, ATTAINMENT_OBJECTIVE, TARGET_NAMES, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("SLA attainment against policy"))
    for target, name in TARGET_NAMES.items():
        if sla.measured(target):
            goal, floor = sla.objective(target)
            about = (
                f"Share of {name.lower()} clocks met (met / (met + breached)) in the last "
                f"24 hours and the last 7 days. Objective {goal:.0%}: orange below, red below "
                f"{floor:.0%}."
            )
            no_value = "no clock yet"
        else:
            about = (
                f"The loaded SLA policy sets no {name.lower()} target: it is not measured "
                "(grey), which is not the same as no data."
            )
            no_value = lib.NOT_MEASURED_TEXT
        d = d.with_panel(
            lib.stat_panel(
                f"{name} SLA attainment",
                about,
                [
                    Target(
                        f'team_target:servicepulse_sla_attainment:ratio_rate1d{{{q.TEAM},target="{target}"}}',
                        "24 h",
                        instant=True,
                    ),
                    Target(
                        f'team_target:servicepulse_sla_attainment:ratio_rate7d{{{q.TEAM},target="{target}"}}',
                        "7 days",
                        instant=True,
                    ),
                ],
                unit=RATIO,
                steps=sla.attainment_steps(target),
                decimals=1,
                w=8,
                h=6,
                no_value=no_value,
            )
        )
    d = d.with_panel(
        lib.text_panel(
            "SLA policy",
            "The SLA policy the boards' thresholds were generated from (targets in SLA-clock "
            "time: business hours of the policy's calendar, pauses excluded).",
            sla.policy_markdown(),
            w=12,
            h=9,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "SLA attainment over time",
            f"Rolling one-hour attainment per SLA target. Dashed lines: "
            f"{ATTAINMENT_FLOOR:.0%} and the {ATTAINMENT_OBJECTIVE:.0%} objective.",
            [
                Target(
                    f"team_target:servicepulse_sla_attainment:ratio_rate1h{{{q.TEAM}}}",
                    "{{target}}",
                )
            ],
            unit=RATIO,
            steps=ATTAIN,
            max_value=1,
            min_zero=False,
            h=9,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Attainment by priority and tier (24 h)",
            "Attainment (all targets) per priority and customer tier over the last 24 hours: "
            "each combination falls under one policy of the table above. Colours as the "
            "objective. A combination with no clock in the day is left out, not shown as NaN.",
            [
                Target(
                    "sum by (priority, customer_tier) "
                    f'(increase({q.OUTCOMES}{{{q.TEAM},outcome="met"}}[1d]))'
                    " / (sum by (priority, customer_tier) "
                    f"(increase({q.OUTCOMES}{{{q.TEAM}}}[1d])) > 0)",
                    "{{priority}} · {{customer_tier}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=ATTAIN,
            w=24,
            h=8,
        )
        .max(1)
        .decimals(1)
    )
    return d
