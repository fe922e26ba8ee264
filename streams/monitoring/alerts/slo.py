"""The error budgets' burn-rate alerts (Google SRE workbook, multiwindow, multi-burn-rate):
a fast burn pages, slow burns open tickets. The recording rules they compare: rules/slo.py."""

from __future__ import annotations

from streams.core.policy import Objectives
from streams.monitoring.alerts.alert import Alert
from streams.monitoring.config import MonitoringConfig
from streams.monitoring.promql import prom_duration
from streams.monitoring.rules.slo import BREACHED, OBJECTIVE, ON, VOLUME, burn_windows

FAST = "ServicePulseErrorBudgetFastBurn"
SLOW = "ServicePulseErrorBudgetSlowBurn"

_NAMES = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


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
