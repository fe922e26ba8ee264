"""One alert rule (``Alert``) and the text helpers its descriptions share."""

from __future__ import annotations

from dataclasses import dataclass, field


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


def minutes(d: str) -> str:
    """ "30m" -> "30 minutes", "1h" -> "1 hour" (for descriptions)."""
    n, unit = int(d[:-1]), {"s": "second", "m": "minute", "h": "hour", "d": "day"}[d[-1]]
    return f"{n} {unit}{'s' if n != 1 else ''}"
