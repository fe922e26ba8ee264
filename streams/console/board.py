"""The live terminal board of ``servicepulse demo``: per-team figures drawn with rich.

``BoardSums`` is a ``FactSink`` that keeps the few running sums the board shows
(it sits beside the exporter, behind ``Tee``); the backlog columns come from
the engine's gauges.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median

from rich.table import Table
from rich.text import Text

from streams.core.engine import FactSink, Gauges
from streams.export.catalogue import BY_NAME

_OUTCOME = BY_NAME["sla_outcomes"].labels.index("outcome")
_KIND = BY_NAME["survey_responses"].labels.index("kind")
_SCORE = BY_NAME["survey_responses"].labels.index("score")


class Tee:
    """Forward every fact to several sinks."""

    def __init__(self, *sinks: FactSink) -> None:
        self.sinks = sinks

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        for sink in self.sinks:
            sink.inc(metric, labels, amount)

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        for sink in self.sinks:
            sink.observe(metric, labels, value)

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        for sink in self.sinks:
            sink.labelled(labels, targets)


@dataclass
class TeamSums:
    created: int = 0
    resolved: int = 0
    met: int = 0
    breached: int = 0
    csat_good: int = 0
    csat_all: int = 0
    first_response: deque[float] = field(default_factory=lambda: deque(maxlen=500))


class BoardSums:
    """Per-team running sums for the board.

    Counters add the fact's ``amount`` (a series primed at 0 is no outcome) and
    find the labels they read by name in the catalogue (the outcome label moved
    when ``channel`` and ``policy`` joined the outcome labels).
    """

    def __init__(self) -> None:
        self.teams: dict[str, TeamSums] = defaultdict(TeamSums)
        self.processed = 0
        self.rejected = 0

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        n = int(amount)
        if not n:
            return  # a series exposed at 0 is no fact
        if metric == "events_processed":
            self.processed += n
        elif metric == "events_rejected":
            self.rejected += n
        elif metric == "tickets_created":
            self.teams[labels[0]].created += n
        elif metric == "tickets_resolved":
            self.teams[labels[0]].resolved += n
        elif metric == "sla_outcomes":
            sums = self.teams[labels[0]]
            if labels[_OUTCOME] == "met":
                sums.met += n
            else:
                sums.breached += n
        elif metric == "survey_responses" and labels[_KIND] == "csat":
            sums = self.teams[labels[0]]
            sums.csat_all += n
            sums.csat_good += n if labels[_SCORE] in ("4", "5") else 0

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        pass  # the board shows no series before its first fact

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        if metric == "first_response_seconds":
            self.teams[labels[0]].first_response.append(value)


def duration(seconds: float) -> str:
    """Compact human duration: 45s, 12m, 3.5h, 2.1d."""
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _share(part: int, whole: int, good: float) -> Text:
    if not whole:
        return Text("–", style="dim")
    share = part / whole
    style = "green" if share >= good else "yellow" if share >= good - 0.1 else "red"
    return Text(f"{100 * share:.0f}%", style=style)


def render(sums: BoardSums, gauges: Gauges, now: float, title: str) -> Table:
    """One table: a row per team."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%a %Y-%m-%d %H:%M UTC")
    table = Table(
        title=f"{title} — {stamp}",
        caption=f"{sums.processed:,} events processed, {sums.rejected:,} rejected",
    )
    for column in (
        "team",
        "open",
        "unanswered",
        "oldest",
        "at risk",
        "breached",
        "median 1st resp.",
        "SLA met",
        "CSAT",
        "created",
        "resolved",
    ):
        table.add_column(column, justify="left" if column == "team" else "right")
    open_by_team: dict[str, int] = defaultdict(int)
    for (team, _, _), n in gauges.open_tickets.items():
        open_by_team[team] += n
    for team in sorted(set(sums.teams) | set(open_by_team)):
        t = sums.teams[team]
        at_risk = sum(n for (tm, _), n in gauges.at_risk.items() if tm == team)
        breached = sum(n for (tm, _), n in gauges.breached_open.items() if tm == team)
        oldest = gauges.oldest_created.get(team)
        table.add_row(
            team,
            str(open_by_team.get(team, 0)),
            str(gauges.unanswered.get(team, 0)),
            duration(now - oldest) if oldest is not None else "–",
            Text(str(at_risk), style="yellow" if at_risk else ""),
            Text(str(breached), style="bold red" if breached else ""),
            duration(median(t.first_response)) if t.first_response else "–",
            _share(t.met, t.met + t.breached, 0.9),
            _share(t.csat_good, t.csat_all, 0.8),
            f"{t.created:,}",
            f"{t.resolved:,}",
        )
    return table
