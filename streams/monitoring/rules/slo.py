"""Error budgets from the policy file's ``objectives``: the recording rules of the burn-rate
alerts (alerts/slo.py).

The rules are generated into deploy/prometheus/rules/alerts.yml, recording groups and the
alert group side by side, and read nothing but the exporter's
``servicepulse_sla_outcomes_total``: a self-contained set, as Sloth and Pyrra generate
theirs, so that ``promtool test rules`` can load it alone and evaluate days of minutes.

Recording rules (``level:metric:operations``; ``{W}`` the burn windows, ``{N}`` the
objectives' window, 28d by default):

    team_target:servicepulse_slo_breached:ratio_rate{W}       share of outcomes breached
    team_target:servicepulse_slo_outcomes:increase{W}         outcomes (the volume guards)
    team_target:servicepulse_slo_breached:increase1h          breaches (for the window)
    team_target:servicepulse_slo_attainment:ratio_rate{N}     share met over the window
    team_target:servicepulse_slo_objective:ratio              the team's objective (policy)
    team_target:servicepulse_slo_error_budget_remaining:ratio_rate{N}
                                                              1 - (1 - attainment) / (1 - objective)

The objective differs per team (``objectives.teams``): it is recorded per team from the
policy the rules are generated with (one rule per team with overrides, one for every other
team, as ServicePulseOldestUnansweredTooOld does), and the alerts compare against it, so one
alert expression serves every team. Thresholds, windows and guards: ``Thresholds.slo_*`` in
config.py.
"""

from __future__ import annotations

from streams.core.policy import Objectives
from streams.monitoring.config import MonitoringConfig
from streams.monitoring.promql import Group, prom_duration, ratio, seconds, string

OUTCOMES = "servicepulse_sla_outcomes_total"
TT = ("team", "target")
BY = "sum by (team, target)"
ON = "on (team, target)"

BREACHED = "team_target:servicepulse_slo_breached:ratio_rate{w}"
VOLUME = "team_target:servicepulse_slo_outcomes:increase{w}"
BREACHES_1H = "team_target:servicepulse_slo_breached:increase1h"
VOLUME_1H = VOLUME.format(w="1h")
ATTAINMENT = "team_target:servicepulse_slo_attainment:ratio_rate{w}"
OBJECTIVE = "team_target:servicepulse_slo_objective:ratio"
BUDGET = "team_target:servicepulse_slo_error_budget_remaining:ratio_rate{w}"


def burn_windows(config: MonitoringConfig) -> list[tuple[float, str, str, int]]:
    """(burn rate, long window, short window, minimum outcomes in the long window)."""
    t = config.thresholds
    fast = (t.slo_fast_burn, *t.slo_fast_windows, t.slo_fast_min_outcomes)
    slow = [(f, long, short, t.slo_slow_min_outcomes) for f, long, short in t.slo_slow_burns]
    return [fast, *slow]


def _by_length(windows: set[str]) -> list[str]:
    return sorted(windows, key=seconds)


def objective_rule(objectives: Objectives, window: str) -> dict[str, str]:
    """The objective of every team and target with outcomes in the window, from the policy:
    one term per team with an override of a target, one for every other team's target."""
    attainment = ATTAINMENT.format(w=window)
    terms = []
    for target in objectives.measured():
        teams = [team for team, own in objectives.teams.items() if target in own]
        for team in teams:
            selector = f"{{target={string(target)},team={string(team)}}}"
            terms.append(f"{attainment}{selector} * 0 + {objectives.teams[team][target]:g}")
        if target in objectives.targets:
            others = "".join(f",team!={string(team)}" for team in teams)
            selector = f"{{target={string(target)}{others}}}"
            terms.append(f"{attainment}{selector} * 0 + {objectives.targets[target]:g}")
    return {"record": OBJECTIVE, "expr": "\nor\n".join(terms)}


def recording_groups(config: MonitoringConfig, objectives: Objectives | None) -> list[Group]:
    """(group name, interval or None for the global one, rules); none without objectives."""
    if objectives is None or not objectives.measured():
        return []
    t = config.thresholds
    window = prom_duration(objectives.window)
    burns = burn_windows(config)
    ratios = _by_length({w for _, long, short, _ in burns for w in (long, short)})
    volumes = _by_length({"1h"} | {long for _, long, _, _ in burns})

    def breached_ratio(w: str) -> dict[str, str]:
        good = f'{BY} (rate({OUTCOMES}{{outcome="breached"}}[{w}]))'
        return {
            "record": BREACHED.format(w=w),
            "expr": ratio(good, f"{BY} (rate({OUTCOMES}[{w}]))", TT),
        }

    short = [breached_ratio(w) for w in ratios if seconds(w) <= 3600]
    long = [breached_ratio(w) for w in ratios if seconds(w) > 3600]
    long += [
        {"record": VOLUME.format(w=w), "expr": f"{BY} (increase({OUTCOMES}[{w}]))"} for w in volumes
    ]
    long.append(
        {
            "record": BREACHES_1H,
            "expr": f'{BY} (increase({OUTCOMES}{{outcome="breached"}}[1h]))\n'
            f"or\n0 * {BY} (increase({OUTCOMES}[1h]))",
        }
    )
    budget = [
        {
            "record": ATTAINMENT.format(w=window),
            "expr": f"1 - (\n  sum_over_time({BREACHES_1H}[{window}])\n  /\n"
            f"  (sum_over_time({VOLUME_1H}[{window}]) > 0)\n)",
        },
        objective_rule(objectives, window),
        {
            "record": BUDGET.format(w=window),
            "expr": f"1 - (1 - {ATTAINMENT.format(w=window)})\n  / {ON}\n(1 - {OBJECTIVE})",
        },
    ]
    return [
        ("servicepulse.slo.short", None, short),
        ("servicepulse.slo.long", t.slo_long_interval, long),
        ("servicepulse.slo.budget", t.slo_budget_interval, budget),
    ]
