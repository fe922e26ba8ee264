"""One alert rule (``Alert``) and the text helpers its descriptions share.

Kept apart from alerts.py (which renders alerts.yml) so that the modules building rules
(alert_rules.py, slo.py, forecast_rules.py) and the renderer do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.core.policy import PolicySet
from streams.monitoring.config import CONFIG


@dataclass(frozen=True)
class Alert:
    name: str
    group: str  # rule group: sla, backlog, satisfaction, pipeline
    expr: str
    severity: str
    summary: str
    description: str  # folded by YAML; keep lines < 100 characters
    threshold: str  # the table's "fires when"
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # besides severity and category
    comment: str = ""  # YAML comment above expr
    row: str = ""  # the table's row name when one alert has several rules

    @property
    def category(self) -> str:
        """The ``category`` label; the error-budget alerts are SLA alerts (inhibitions)."""
        return CATEGORIES.get(self.group, self.group)


CATEGORIES = {"slo": "sla", "forecast": "backlog"}


def duration_text(seconds: float) -> str:
    """604800 -> "7 days", 14400 -> "4 hours", 1800 -> "30 minutes"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} s"


def pct(x: float) -> str:
    return f"{x * 100:g}%"


def unanswered_targets(policies: PolicySet) -> tuple[dict[str, float], float]:
    """(team -> first-response target of a policy matching on the team alone, catch-all's)."""
    teams: dict[str, float] = {}
    default = None
    for p in policies.policies:
        target = p.targets.get("first_response")
        if target is None:
            continue
        if not p.match:
            default = target
            break
        if set(p.match) == {"team"} and p.match["team"] not in teams:
            teams[str(p.match["team"])] = target
    return teams, default if default is not None else float(
        CONFIG.thresholds.oldest_unanswered_default_seconds
    )
