"""Team lead SLA board, row "Error budget": how much of the objective's slack is left.

Recording rules of ``streams/monitoring/rules/slo.py`` (``team_target:servicepulse_slo_*`` in
deploy/prometheus/rules/alerts.yml; docs/monitoring.md, "Error budgets"), generated from the
policy file's ``objectives``: the budget left over the objectives' rolling window, the burn
rate (share breached / (1 − objective)) over the windows of the burn-rate alerts, and the
team's objective. A policy without ``objectives`` has none of these rules: the tiles read
"no objective" in grey.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import RATIO, Target
from dashboards.targets import SlaTargets, human
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
# Days to exhaustion: at the pace of the slow-burn window; red under a day, orange under a week.
PACE = "6h"
EXHAUSTION_BAD = 86400.0
EXHAUSTION_WARN = 7 * 86400.0
NOT_BURNING = "not burning"
EXHAUSTED = "exhausted"


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
            w=6,
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
                w=4,
                h=6,
                no_value=NO_OUTCOME,
            )
        )
    d = d.with_panel(exhaustion(window, sla.slo_window or DEFAULT_SLO_WINDOW))
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
            w=4,
            h=6,
            no_value=NO_OBJECTIVE,
        )
    )
    return d


def exhaustion(window: str, seconds: float) -> Any:
    """Days to exhaustion at this pace: budget left / burn rate of the last PACE, in the
    objectives' window; "not burning" and "exhausted" in words."""
    left, idle, spent = q.days_to_exhaustion(window, seconds, PACE)
    p = lib.stat_panel(
        "Days to exhaustion at this pace",
        f"Per SLA target, when the team's error budget runs out if it keeps burning at the "
        f"pace of the last {PACE[:-1]} {PACE[-1]}: budget left × {window} / burn rate "
        f"(e.g. half the budget left at 2× lasts {window} × 0.5 / 2). Red under "
        f"{human(EXHAUSTION_BAD)}, orange under {human(EXHAUSTION_WARN)}. "
        f'"{NOT_BURNING}": no breach in the last {PACE}; "{EXHAUSTED}": no budget left. '
        "No value when the policy sets no objective for the target.",
        [
            Target(left, "{{target}}", instant=True),
            Target(idle, "{{target}}", instant=True),
            Target(spent, "{{target}}", instant=True),
        ],
        unit=lib.SECONDS,
        steps=lib.higher_is_better(EXHAUSTION_WARN, EXHAUSTION_BAD),
        decimals=1,
        w=6,
        h=6,
        no_value=NO_OBJECTIVE,
    )
    for ref, text, colour in (("B", NOT_BURNING, lib.GOOD), ("C", EXHAUSTED, lib.BAD)):
        p = p.override_by_query(ref, [_words(text, colour)])
    return p


def _words(text: str, colour: str) -> dm.DynamicConfigValue:
    """Every value of a query read as ``text`` in ``colour`` (the query's value is the budget
    left, which only says that the case holds)."""
    anything = dm.RangeMap(
        options=dm.DashboardRangeMapOptions(
            from_val=-1e12, to=1e12, result=dm.ValueMappingResult(text=text, color=colour)
        )
    )
    return dm.DynamicConfigValue(id_val="mappings", value=[anything])
