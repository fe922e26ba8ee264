"""PromQL building blocks shared by the recording rules and the alerts.

Every division is guarded (``ratio``): a window without a denominator yields no series,
never NaN; a numerator without series counts as 0 when the denominator exists.
"""

from __future__ import annotations

Rule = dict[str, str]  # {"record": name, "expr": PromQL[, "labels": "k=v,..."]}
Group = tuple[str, str | None, list[Rule]]  # (name, interval or None for the global one, rules)

# (level prefix, `by` clause labels) for "per team" and "overall" (the empty level, as in
# kube-prometheus).
TEAM = ("team", ("team",))
ALL = ("", ())

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def by(labels: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    return f"sum by ({', '.join(labels + extra)})" if labels + extra else "sum"


def on(labels: tuple[str, ...]) -> str:
    return f"on ({', '.join(labels)})"


def ratio(good: str, total: str, labels: tuple[str, ...]) -> str:
    """good / total, 0 when total exists but good has no series, nothing when total is 0."""
    return f"(\n  {good}\n  or\n  0 * {total}\n)\n/\n({total} > 0)"


def summed_rate(labels: tuple[str, ...], selector: str, w: str) -> str:
    return f"{by(labels)} (rate({selector}[{w}]))"


def quantile(q: float, metric: str, labels: tuple[str, ...], w: str) -> str:
    """The histogram's quantile, only where the window saw an observation."""
    buckets = f"{by(labels, ('le',))} (rate({metric}_bucket[{w}]))"
    count = f"{by(labels)} (rate({metric}_count[{w}]))"
    return f"histogram_quantile({q}, {buckets})\nand {on(labels)}\n({count} > 0)"


def level_name(labels: tuple[str, ...]) -> str:
    """("team", "channel") -> "team_channel"; () -> "" (all teams)."""
    return "_".join(labels)


def le_matcher(seconds: float) -> str:
    """The ``le`` label of a bucket edge: "20.0" from prometheus-client, "20" from others."""
    return f'le=~"{seconds:g}(\\\\.0)?"'


def string(text: str) -> str:
    """A PromQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def seconds(d: str) -> int:
    """ "6h" -> 21600."""
    return int(d[:-1]) * dict(_UNITS)[d[-1]]


def prom_duration(secs: float) -> str:
    """2419200 -> "28d", 5400 -> "90m": the largest unit that divides it."""
    whole = int(secs)
    unit, size = next((u, s) for u, s in _UNITS if whole % s == 0)
    return f"{whole // size}{unit}"
