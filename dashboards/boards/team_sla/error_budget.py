"""Team lead SLA board, row "Error budget" (issue 25): how much of the objective's slack is left.

Recording rules of ``streams/monitoring/slo.py`` (``team_target:servicepulse_slo_*`` in
deploy/prometheus/rules/alerts.yml; docs/monitoring.md, "Error budgets"), generated from the
policy file's ``objectives``: the budget left over the objectives' rolling window, the burn
rate (share breached / (1 − objective)) over the windows of the burn-rate alerts, and the
team's objective. A policy without ``objectives`` has none of these rules: the tiles read
"no objective" in grey.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import RATIO, Target
from dashboards.targets import SlaTargets
from streams.core.policy import DEFAULT_SLO_WINDOW
from streams.monitoring.config import CONFIG
from streams.monitoring.promql import prom_duration

# Budget left: orange below a quarter of it, red once it is spent (below 0: overspent).
BUDGET_WARN = 0.25
BUDGET_SPENT = 0.0
# A burn rate of 1 spends the budget exactly over the window: orange from there; red from the
# factor of the alert over that window (1 h: the fast-burn page, 6 h: the slow-burn ticket).
SUSTAINABLE_BURN = 1.0
FAST_BURN = CONFIG.thresholds.slo_fast_burn
SLOW_BURN_6H = next((f for f, long, _s in CONFIG.thresholds.slo_slow_burns if long == "6h"), 6.0)
NO_OBJECTIVE = "no objective"
NO_OUTCOME = "no clock closed"
TIMES = "suffix:×"  # a burn rate, as a multiple of the sustainable one


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    window = prom_duration(sla.slo_window or DEFAULT_SLO_WINDOW)
    d = d.with_row(lib.row("Error budget"))
    d = d.with_panel(
        lib.stat_panel(
            "Error budget left",
            f"Per SLA target, the share of the team's error budget left over the last "
            f"{window}: 1 − (1 − attainment) / (1 − objective). 100 % untouched, 0 spent, "
            f"below 0 overspent. Orange below {BUDGET_WARN:.0%}, red when spent. No value "
            "when the policy sets no objective for the target or no clock closed in the window.",
            [
                Target(
                    f"{q.SLO}error_budget_remaining:ratio_rate{window}{{{q.TEAM}}}",
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.higher_is_better(BUDGET_WARN, BUDGET_SPENT),
            decimals=1,
            w=8,
            h=6,
            no_value=NO_OBJECTIVE,
        )
    )
    for long, bad, alert in (
        ("1h", FAST_BURN, "the fast-burn page"),
        ("6h", SLOW_BURN_6H, "the slow-burn ticket"),
    ):
        d = d.with_panel(
            lib.stat_panel(
                f"Burn rate, {long[:-1]} {long[-1]}",
                f"Per SLA target, how fast the team spends its error budget over the last "
                f"{long}: share breached / (1 − objective). 1× spends it exactly in {window}; "
                f"orange from {SUSTAINABLE_BURN:g}×, red from {bad:g}× ({alert}). No value "
                f"when no clock closed in the {long}.",
                [Target(q.burn_rate(long), "{{target}}", instant=True)],
                unit=TIMES,
                steps=lib.lower_is_better(SUSTAINABLE_BURN, bad),
                decimals=1,
                w=5,
                h=6,
                no_value=NO_OUTCOME,
            )
        )
    d = d.with_panel(
        lib.stat_panel(
            "Error budget objective",
            f"The team's objective per SLA target: the share of clocks to meet over {window}, "
            "from the policy file's objectives (a team's override where it has one).",
            [
                Target(
                    f"{q.SLO}objective:ratio{{{q.TEAM}}}",
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.neutral(),
            decimals=1,
            w=6,
            h=6,
            no_value=NO_OBJECTIVE,
        )
    )
    return d
