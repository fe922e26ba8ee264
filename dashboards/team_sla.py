"""Team lead SLA: one team's service levels against its policy, and what to act on."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from . import lib
from .lib import COUNT, RATIO, SECONDS, Target
from .targets import (
    AT_RISK_BAD,
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
    QA_FLOOR,
    QA_GOAL,
    REOPEN_BAD,
    REOPEN_WARN,
    TARGET_NAMES,
    SlaTargets,
)

UID = "servicepulse-team-sla"
TEAM = 'team="$team"'
OUTCOMES = "servicepulse_sla_outcomes_total"


def _transfers(direction: str, window: str) -> str:
    """Hand-offs into (``to``) or out of (``from``) the team in ``window``; 0 when none."""
    return (
        f'sum(increase(servicepulse_transfers_total{{{direction}_team="$team"}}[{window}]))'
        " or vector(0)"
    )


def _breaches_by(label: str) -> str:
    """Breaches of the last 24 h per ``label``; 0 (not nothing) where clocks were all met."""
    return (
        f'sum by ({label}) (increase({OUTCOMES}{{{TEAM},outcome="breached"}}[1d]))'
        f" or sum by ({label}) (increase({OUTCOMES}{{{TEAM}}}[1d])) * 0"
    )


def build(sla: SlaTargets) -> dash.Dashboard:
    attain = lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR)
    d = (
        dash.Dashboard("ServicePulse — Team lead SLA")
        .uid(UID)
        .description(
            "One team's SLA attainment against its policy, breaches by priority and tier, "
            "tickets at risk now, hand-offs, reopens, QA scores and the team's firing alerts."
        )
        .tags(["servicepulse", "sla", "team"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("browser")
        .readonly()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash.QueryVariable("team")
            .label("Team")
            .description("The support team this board is about.")
            .datasource(lib.PROMETHEUS)
            .query("label_values(servicepulse_tickets_created_total, team)")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(False)
            .include_all(False)
        )
    )

    d = d.with_row(lib.row("SLA attainment against policy"))
    for target, name in TARGET_NAMES.items():
        d = d.with_panel(
            lib.stat_panel(
                f"{name} SLA attainment",
                f"Share of {name.lower()} clocks met (met / (met + breached)) in the last "
                f"24 hours and the last 7 days. Objective {ATTAINMENT_OBJECTIVE:.0%}: "
                f"orange below, red below {ATTAINMENT_FLOOR:.0%}.",
                [
                    Target(
                        f'team_target:servicepulse_sla_attainment:ratio_rate1d{{{TEAM},target="{target}"}}',
                        "24 h",
                        instant=True,
                    ),
                    Target(
                        f'team_target:servicepulse_sla_attainment:ratio_rate7d{{{TEAM},target="{target}"}}',
                        "7 days",
                        instant=True,
                    ),
                ],
                unit=RATIO,
                steps=attain,
                decimals=1,
                w=8,
                h=6,
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
                    f"team_target:servicepulse_sla_attainment:ratio_rate1h{{{TEAM}}}",
                    "{{target}}",
                )
            ],
            unit=RATIO,
            steps=attain,
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
            "objective.",
            [
                Target(
                    "sum by (priority, customer_tier) "
                    f'(increase({OUTCOMES}{{{TEAM},outcome="met"}}[1d]))'
                    " / sum by (priority, customer_tier) "
                    f"(increase({OUTCOMES}{{{TEAM}}}[1d]))",
                    "{{priority}} · {{customer_tier}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=attain,
            w=24,
            h=8,
        )
        .max(1)
        .decimals(1)
    )

    d = d.with_row(lib.row("Breaches"))
    d = d.with_panel(
        lib.bars_panel(
            "Breaches by priority (24 h)",
            "SLA clocks breached in the last 24 hours (all targets), per priority. 0 where "
            "every clock was met.",
            [Target(_breaches_by("priority"), "{{priority}}", instant=True)],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        ).decimals(0)
    )
    d = d.with_panel(
        lib.bars_panel(
            "Breaches by customer tier (24 h)",
            "SLA clocks breached in the last 24 hours (all targets), VIP and standard customers.",
            [Target(_breaches_by("customer_tier"), "{{customer_tier}}", instant=True)],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        ).decimals(0)
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Breaches per hour by target",
            "SLA clocks breached in the rolling last hour, per target.",
            [
                Target(
                    "sum by (target) (team_target_outcome:servicepulse_sla_outcomes:increase1h"
                    f'{{{TEAM},outcome="breached"}})'
                    " or sum by (target) (team_target_outcome:servicepulse_sla_outcomes:increase1h"
                    f"{{{TEAM}}}) * 0",
                    "{{target}}",
                )
            ],
            unit=COUNT,
            w=8,
        )
    )

    d = d.with_row(lib.row("At risk now"))
    d = d.with_panel(
        lib.stat_panel(
            "At risk now, by target",
            f"Running clocks past {sla.at_risk:.0%} of their target, not yet breached: the "
            f"tickets to pick up next. Orange from 1, red from {AT_RISK_BAD:g} (the alert).",
            [
                Target(
                    f"team_target:servicepulse_sla_at_risk_tickets:sum{{{TEAM}}}",
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
            w=8,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Breached, still open, by target",
            "Running clocks already past their deadline. Red from 1.",
            [
                Target(
                    f"team_target:servicepulse_sla_breached_open_tickets:sum{{{TEAM}}}",
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            w=8,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Open / unanswered",
            "The team's open tickets and those without a public agent response yet.",
            [
                Target(f"team:servicepulse_open_tickets:sum{{{TEAM}}}", "open", instant=True),
                Target(
                    f"team:servicepulse_unanswered_tickets:sum{{{TEAM}}}",
                    "unanswered",
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            w=5,
        )
    )
    res = sla.default.get("resolution", 3 * 86400.0)
    d = d.with_panel(
        lib.stat_panel(
            "Oldest ticket",
            f"Age of the team's oldest open ticket. Orange from the default resolution "
            f"target ({res / 86400:g} d), red from 7 d (the alert).",
            [
                Target(
                    f"team:servicepulse_oldest_open_ticket_age_seconds:max{{{TEAM}}}",
                    "oldest",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(res, 7 * 86400.0),
            w=3,
        )
    )

    d = d.with_row(lib.row("Hand-offs, reopens and quality"))
    d = d.with_panel(
        lib.stat_panel(
            "Hand-offs in / out (24 h)",
            "Tickets transferred to this team from others (in) and from this team to others "
            "(out) in the last 24 hours.",
            [
                Target(
                    _transfers("to", "1d"),
                    "in",
                    instant=True,
                ),
                Target(
                    _transfers("from", "1d"),
                    "out",
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=6,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Hand-offs per hour",
            "Transfers into and out of the team over the rolling last hour.",
            [
                Target(
                    _transfers("to", "1h"),
                    "in",
                ),
                Target(
                    _transfers("from", "1h"),
                    "out",
                ),
            ],
            unit=COUNT,
            w=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Reopen rate",
            f"Reopens / resolutions of the team, last 24 hours and last 7 days. Orange from "
            f"{REOPEN_WARN:.0%}, red from {REOPEN_BAD:.0%}.",
            [
                Target(
                    "(sum(increase("
                    f"servicepulse_tickets_reopened_total{{{TEAM}}}[{w}])) or vector(0))"
                    f" / sum(increase(servicepulse_tickets_resolved_total{{{TEAM}}}[{w}]))",
                    label,
                    instant=True,
                )
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=RATIO,
            steps=lib.lower_is_better(REOPEN_WARN, REOPEN_BAD),
            decimals=1,
            w=4,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "QA score",
            f"Mean quality-assurance scorecard result (0-100) of the team, last 24 hours and "
            f"last 7 days. Goal {QA_GOAL:g}: orange below, red below {QA_FLOOR:g}.",
            [
                Target(
                    f"sum(increase(servicepulse_qa_review_score_sum{{{TEAM}}}[{w}]))"
                    f" / sum(increase(servicepulse_qa_review_score_count{{{TEAM}}}[{w}]))",
                    label,
                    instant=True,
                )
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=COUNT,
            steps=lib.higher_is_better(QA_GOAL, QA_FLOOR),
            decimals=1,
            w=4,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "QA reviews (7 days)",
            "Number of QA scorecards behind the score.",
            [
                Target(
                    f"sum(increase(servicepulse_qa_review_score_count{{{TEAM}}}[7d]))",
                    "reviews",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=4,
        )
    )

    d = d.with_row(lib.row("Alerts"))
    d = d.with_panel(
        lib.stat_panel(
            "Firing alerts",
            "Alerts of this team firing now in Prometheus (critical and warning). Green at 0.",
            [
                Target(
                    f'count(ALERTS{{alertstate="firing",{TEAM}}}) or vector(0)',
                    "firing",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            w=4,
            h=8,
        )
    )
    d = d.with_panel(
        lib.alerts_panel(
            "The team's alerts in Alertmanager",
            "Alert groups routed to this team's lead, as Alertmanager holds them (firing, "
            "silenced or inhibited), with their summaries. Grafana's Alert groups panel is "
            "alpha: it needs [panels] enable_alpha = true (GF_PANELS_ENABLE_ALPHA=true).",
            "team=$team",
            w=20,
        )
    )
    return d
