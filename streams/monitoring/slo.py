"""Error budgets and burn-rate alerts from the policy file's ``objectives`` (issue 25).

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
from streams.monitoring.alert import Alert
from streams.monitoring.config import MonitoringConfig
from streams.monitoring.recording import ratio

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

FAST = "ServicePulseErrorBudgetFastBurn"
SLOW = "ServicePulseErrorBudgetSlowBurn"

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_NAMES = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


def seconds(d: str) -> int:
    """ "6h" -> 21600."""
    return int(d[:-1]) * dict(_UNITS)[d[-1]]


def prom_duration(secs: float) -> str:
    """2419200 -> "28d", 5400 -> "90m": the largest unit that divides it."""
    whole = int(secs)
    unit, size = next((u, s) for u, s in _UNITS if whole % s == 0)
    return f"{whole // size}{unit}"


def spoken(d: str) -> str:
    """ "1h" -> "hour", "30m" -> "30 minutes", "3d" -> "3 days" (after "the last")."""
    n, unit = int(d[:-1]), _NAMES[d[-1]]
    return unit if n == 1 else f"{n} {unit}s"


def spent_in(window: float, factor: float) -> str:
    """How long the window's budget lasts at ``factor`` times the sustainable burn."""
    hours = window / factor / 3600
    if hours < 72:
        return f"about {hours:.0f} hours"
    return f"about {f'{hours / 24:.1f}'.rstrip('0').rstrip('.')} days"


def window_words(secs: float) -> str:
    """2419200 -> "28-day", 36h -> "36-hour"."""
    text = prom_duration(secs)
    return f"{text[:-1]}-{_NAMES[text[-1]]}"


def promql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
            selector = f"{{target={promql_string(target)},team={promql_string(team)}}}"
            terms.append(f"{attainment}{selector} * 0 + {objectives.teams[team][target]:g}")
        if target in objectives.targets:
            others = "".join(f",team!={promql_string(team)}" for team in teams)
            selector = f"{{target={promql_string(target)}{others}}}"
            terms.append(f"{attainment}{selector} * 0 + {objectives.targets[target]:g}")
    return {"record": OBJECTIVE, "expr": "\nor\n".join(terms)}


def recording_groups(
    config: MonitoringConfig, objectives: Objectives | None
) -> list[tuple[str, str | None, list[dict[str, str]]]]:
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


def _expr(factor: float, long: str, short: str, min_outcomes: int) -> str:
    threshold = f"clamp_max({factor:g} * (1 - {OBJECTIVE}), 1)"
    return f"""\
(
    {BREACHED.format(w=long)}
      >= {ON} {threshold}
  unless {ON}
    {BREACHED.format(w=short)}
      < {ON} {threshold}
)
and {ON}
{VOLUME.format(w=long)} >= {min_outcomes}"""


def description(factor: float, long: str, short: str, least: int, window: float) -> str:
    """The alert's description (folded by YAML into one line)."""
    value = "{{ $value | humanizePercentage }}"
    whose = "{{ $labels.target }} SLA clocks of team {{ $labels.team }}"
    return (
        f"{value} of the {whose}\n"
        f"breached in the last {spoken(long)}, and the last {spoken(short)} are not below "
        f"that: a burn rate of\nat least {factor:g}x its error budget (1 - objective; the "
        f"share capped at 100 %). At this rate its\n{window_words(window)} budget is spent in "
        f"{spent_in(window, factor)} (threshold: {factor:g}x over {long} and {short},\n"
        f"at least {least} outcomes in {long})."
    )


def alerts(config: MonitoringConfig, objectives: Objectives | None) -> list[Alert]:
    """The fast-burn page and the slow-burn tickets; none without objectives."""
    if objectives is None or not objectives.measured():
        return []
    t = config.thresholds
    out = []
    for n, (factor, long, short, least) in enumerate(burn_windows(config)):
        fast = n == 0
        name = FAST if fast else SLOW
        out.append(
            Alert(
                name,
                "slo",
                _expr(factor, long, short, least),
                "critical" if fast else "warning",
                "Team {{ $labels.team }} is burning its {{ $labels.target }} error budget "
                + ("fast" if fast else "steadily"),
                description(factor, long, short, least, objectives.window),
                f"breached share over {long} >= {factor:g} x (1 - objective), at most 100 %, "
                f"and over {short} not below it; >= {least} outcomes in {long}",
                for_=t.slo_fast_for if fast else t.slo_slow_for,
                labels={"burn_window": f"{long}/{short}"},
                comment=(
                    f"Burn rate {factor:g}x over {long}, confirmed by {short} (an empty {short} "
                    "window does not\nreset it: support outcomes are sparse); the objective is "
                    "the team's (policy file)."
                ),
                row=name if fast else f"{name} ({long}/{short})",
            )
        )
    return out
