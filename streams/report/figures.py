"""Weekly figures per team from a Prometheus, from the raw counters, histograms and gauges.

A week is an ISO week in UTC, from Monday 00:00 to the next Monday 00:00. A week's count
is :func:`grown`: each counter series' value at the week's end minus its value at the start,
summed by team (one instant query, so no ``increase()`` extrapolation blurs the figure); a
series born during the week, or one that went backwards (a process restarted without its
counts), counts its value at the end. A ratio is the ratio of two such counts; a quantile is
interpolated in the week's grown histogram buckets exactly as ``histogram_quantile`` does,
whatever the bucket edges are (they are read from the ``le`` labels), and one that falls in
the ``+Inf`` bucket is known only as "more than the top edge". Needs a sample within
Prometheus's 5-minute lookback before each boundary: true for a scraped or backfilled
(step <= 5m, or a step dividing a week) history. The executive board uses the same
definition.

Queries per report: one range query per expression for the 12-week trend (a point at each
week's end, step one week) and one instant query per expression for the week itself, both
``sum by (team)``; every team's figures, "all others" and the total are sums of the
per-team counts (and buckets), so they always add up.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.errors import UserError
from streams.monitoring.config import LIVE_CHANNELS, SERVICE_LEVEL_SECONDS

WEEK = 7 * 86400.0
TREND_WEEKS = 12  # the multi-week trend: this week and the 11 before it
TARGETS = ("first_response", "next_reply", "resolution")
# A ratio, mean or quantile of fewer contacts than this is not judged: the report greys it and
# shows no arrow, the executive board shows no change beside it.
MIN_SAMPLE = 20

_LIVE = "|".join(LIVE_CHANNELS)


def _le(seconds: float) -> str:
    """A PromQL regex (inside a double-quoted string) for the ``le`` label of an edge however
    it is printed: ``20`` or ``20.0``."""
    if float(int(seconds)) == seconds:
        return f"{int(seconds)}(\\\\.0)?"
    return f"{seconds!r}".replace(".", "\\\\.")


def _service_level_groups() -> dict[float, tuple[str, ...]]:
    groups: dict[float, list[str]] = {}
    for channel, seconds in SERVICE_LEVEL_SECONDS.items():
        groups.setdefault(seconds, []).append(channel)
    return {s: tuple(c) for s, c in sorted(groups.items())}


SERVICE_LEVEL_GROUPS = _service_level_groups()

# name -> (selector of a counter, the label that names the team)
COUNTERS: dict[str, tuple[str, str]] = {
    "created": ("servicepulse_tickets_created_total", "team"),
    "resolved": ("servicepulse_tickets_resolved_total", "team"),
    "reopened": ("servicepulse_tickets_reopened_total", "team"),
    "fcr": ("servicepulse_first_contact_resolutions_total", "team"),
    "csat_good": ('servicepulse_survey_responses_total{kind="csat",score=~"4|5"}', "team"),
    "csat_all": ('servicepulse_survey_responses_total{kind="csat"}', "team"),
    "sla_met": ('servicepulse_sla_outcomes_total{outcome="met"}', "team"),
    "sla_breached": ('servicepulse_sla_outcomes_total{outcome="breached"}', "team"),
    "live_created": (f'servicepulse_tickets_created_total{{channel=~"{_LIVE}"}}', "team"),
    "live_abandoned": (f'servicepulse_contacts_abandoned_total{{channel=~"{_LIVE}"}}', "team"),
    "abandoned": ("servicepulse_contacts_abandoned_total", "team"),
    "abandoned_short": ("servicepulse_contacts_abandoned_short_total", "team"),
    "answered": ("servicepulse_first_response_seconds_count", "team"),
    "asa_sum": (f'servicepulse_first_response_seconds_sum{{channel=~"{_LIVE}"}}', "team"),
    "asa_count": (f'servicepulse_first_response_seconds_count{{channel=~"{_LIVE}"}}', "team"),
    "handoffs": ("servicepulse_transfers_total", "from_team"),
}
for _target in TARGETS:
    for _outcome in ("met", "breached"):
        COUNTERS[f"{_outcome}:{_target}"] = (
            f'servicepulse_sla_outcomes_total{{target="{_target}",outcome="{_outcome}"}}',
            "team",
        )
for _i, (_seconds, _channels) in enumerate(SERVICE_LEVEL_GROUPS.items()):
    _sel = "|".join(_channels)
    COUNTERS[f"within:{_i}"] = (
        f'servicepulse_first_response_seconds_bucket{{channel=~"{_sel}",le=~"{_le(_seconds)}"}}',
        "team",
    )
    COUNTERS[f"answered:{_i}"] = (
        f'servicepulse_first_response_seconds_count{{channel=~"{_sel}"}}',
        "team",
    )

HISTOGRAMS: dict[str, str] = {
    "first_response": "servicepulse_first_response_seconds_bucket",
    "resolution": "servicepulse_resolution_seconds_bucket",
}
BACKLOG = "servicepulse_open_tickets"
COVERAGE = "count(servicepulse_tickets_created_total)"  # is there any data at an instant


@dataclass(frozen=True)
class Quantile:
    """A quantile of a week's histogram: ``value`` seconds; ``beyond`` when it fell in the
    ``+Inf`` bucket, so that all we know is that it is more than ``value`` (the top edge)."""

    value: float
    beyond: bool = False


def quantile(q: float, buckets: Mapping[float, float]) -> Quantile | None:
    """``histogram_quantile`` over cumulative ``le -> count`` buckets; None without counts."""
    edges = sorted(buckets)
    if not edges or not math.isinf(edges[-1]):
        return None
    counts, running = [], 0.0
    for edge in edges:  # as Prometheus does: a bucket never counts less than the one below
        running = max(running, buckets[edge])
        counts.append(running)
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, c in enumerate(counts) if c >= rank)
    if index == len(edges) - 1:
        return Quantile(edges[-2] if len(edges) > 1 else 0.0, beyond=True)
    lower = edges[index - 1] if index > 0 else 0.0
    below = counts[index - 1] if index > 0 else 0.0
    if index == 0 and edges[0] <= 0:
        return Quantile(edges[0])
    inside = counts[index] - below
    return Quantile(lower + (edges[index] - lower) * (rank - below) / inside)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


@dataclass
class TeamWeek:
    """One team's (or a group's) week: counter increases, histogram bucket increases and the
    backlog at the week's end. A figure without its denominator is None (drawn "—")."""

    counts: dict[str, float] = field(default_factory=dict)
    buckets: dict[str, dict[float, float]] = field(default_factory=dict)
    backlog: float | None = None

    def count(self, name: str) -> float:
        return self.counts.get(name, 0.0)

    def add(self, other: TeamWeek) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.count(name) + value
        for name, buckets in other.buckets.items():
            mine = self.buckets.setdefault(name, {})
            for edge, value in buckets.items():
                mine[edge] = mine.get(edge, 0.0) + value
        if other.backlog is not None:
            self.backlog = (self.backlog or 0.0) + other.backlog

    @property
    def idle(self) -> bool:
        """Nothing counted this week and nothing open at its end."""
        return not any(self.counts.values()) and not self.backlog

    # ---- counts -----------------------------------------------------------------------------

    @property
    def volume(self) -> float:
        return self.count("created")

    @property
    def breaches(self) -> float:
        return self.count("sla_breached")

    @property
    def handoffs(self) -> float:
        return self.count("handoffs")

    @property
    def surveys(self) -> float:
        return self.count("csat_all")

    @property
    def clocks(self) -> float:
        """SLA clock cycles judged (met + breached): attainment's sample."""
        return self.count("sla_met") + self.count("sla_breached")

    def clocks_of(self, target: str) -> float:
        return self.count(f"met:{target}") + self.count(f"breached:{target}")

    @property
    def live(self) -> float:
        """Phone and chat contacts: abandonment's sample."""
        return self.count("live_created")

    @property
    def offered(self) -> float:
        """Service level's denominator: answered + abandoned - short abandons."""
        return self.count("answered") + self.count("abandoned") - self.count("abandoned_short")

    # ---- ratios, means, quantiles -----------------------------------------------------------

    @property
    def csat(self) -> float | None:
        return _ratio(self.count("csat_good"), self.count("csat_all"))

    @property
    def sla(self) -> float | None:
        return _ratio(self.count("sla_met"), self.clocks)

    def attainment(self, target: str) -> float | None:
        return _ratio(self.count(f"met:{target}"), self.clocks_of(target))

    @property
    def fcr(self) -> float | None:
        return _ratio(self.count("fcr"), self.count("resolved"))

    @property
    def reopen_rate(self) -> float | None:
        return _ratio(self.count("reopened"), self.count("resolved"))

    @property
    def abandonment(self) -> float | None:
        """Abandoned / created, phone and chat (the contract's definition)."""
        return _ratio(self.count("live_abandoned"), self.live)

    @property
    def service_level(self) -> float | None:
        """Answered within the channel's threshold / (answered + abandoned - short abandons).
        None when a channel's threshold is not a bucket edge (its count would read 0)."""
        within = 0.0
        for index in range(len(SERVICE_LEVEL_GROUPS)):
            if self.count(f"answered:{index}") > 0 and f"within:{index}" not in self.counts:
                return None
            within += self.count(f"within:{index}")
        return _ratio(within, self.offered)

    @property
    def asa(self) -> float | None:
        """Average speed of answer, seconds: mean first response of phone and chat."""
        return _ratio(self.count("asa_sum"), self.count("asa_count"))

    def quantile(self, name: str, q: float) -> Quantile | None:
        return quantile(q, self.buckets.get(name, {}))

    @property
    def responses(self) -> float:
        return self.count("answered")


def total_of(teams: Iterable[TeamWeek]) -> TeamWeek:
    total = TeamWeek()
    for team in teams:
        total.add(team)
    return total


@dataclass(frozen=True)
class Coverage:
    """When a week has data: the first and last instant (on an hourly grid) that has any, and
    whether the week is over. ``partial`` when either end is missing."""

    start: float
    end: float
    first: float | None
    last: float | None
    over: bool

    @property
    def partial(self) -> bool:
        if self.first is None or self.last is None:
            return True
        return not self.over or self.first > self.start or self.last < self.end

    def describe(self) -> str:
        if self.first is None or self.last is None:
            return "no data"
        if not self.partial:
            return "complete"
        start = datetime.fromtimestamp(self.first, UTC)
        end = datetime.fromtimestamp(self.last, UTC)
        tail = " (the week is not over)" if not self.over else ""
        return f"data only from {start:%a %d %b %H:%M} to {end:%a %d %b %H:%M} UTC{tail}"


@dataclass
class WeekReport:
    """One week's figures, the week before's and the trend: per team, and for all teams
    together (kept apart from the teams, so that a team may be called anything, ``all``
    included)."""

    week: str  # 2026-W47
    start: float
    this: dict[str, TeamWeek]  # team -> figures
    before: dict[str, TeamWeek]
    this_total: TeamWeek | None = None  # every team together; None: no data that week
    before_total: TeamWeek | None = None
    trend: list[tuple[str, TeamWeek | None]] = field(default_factory=list)  # oldest first
    coverage: Coverage | None = None
    before_coverage: Coverage | None = None


def parse_week(text: str) -> tuple[str, float]:
    """``2026-W47`` -> (label, Monday 00:00 UTC)."""
    try:
        year, week = text.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise UserError(f"--week {text!r}: expected an ISO week like 2026-W47") from None
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC).timestamp()
    return f"{int(year)}-W{int(week):02d}", start


def week_label(start: float) -> str:
    year, week, _ = datetime.fromtimestamp(start, UTC).date().isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: float) -> str:
    today = datetime.fromtimestamp(now, UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str, params: dict[str, str]) -> Any:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=60) as r:
                body = json.load(r)
        except urllib.error.HTTPError as exc:
            raise UserError(f"Prometheus at {self.url} refused a query: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot query Prometheus at {self.url}: {exc}") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", "query failed") if isinstance(body, dict) else "not JSON"
            raise UserError(f"Prometheus at {self.url}: {error}")
        return body["data"]["result"]

    def vector(self, expr: str, at: float) -> list[tuple[dict[str, str], float]]:
        """Instant query: (labels, value) of each series."""
        result = self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
        return [(item["metric"], float(item["value"][1])) for item in result]

    def matrix(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[dict[str, str], dict[float, float]]]:
        """Range query: (labels, time -> value) of each series."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        result = self._get("/api/v1/query_range", params)
        return [
            (item["metric"], {float(t): float(v) for t, v in item["values"]}) for item in result
        ]

    def query(self, expr: str, at: float) -> dict[str, float]:
        """Instant query of ``sum by (team)``: team -> value (``""`` for a series without a
        team, e.g. the result of a plain ``sum``: a label's value is never empty)."""
        return {labels.get("team", ""): value for labels, value in self.vector(expr, at)}


def grown(end: str, start: str) -> str:
    """PromQL: how much each series of a counter grew between two reads of it.

    ``end`` and ``start`` are the same selector read at the window's end and start (with
    ``offset`` or ``@``). A series present at both ends that did not go backwards grew by
    end - start; a series born in the window, or reset in it, counts its value at the end
    (what it counted since; a reset loses what came before it in the window, it never makes
    a week negative). A series gone before the end (a backfilled history followed by the
    live pipeline's series) counts nothing in that window. ``* 1`` drops the metric name so
    the two sides' label sets match.
    """
    return f"((({end} - {start}) >= 0) or ({end} * 1))"


def _window(seconds: float) -> str:
    return f"{round(seconds)}s"


def _week_expressions(window: float) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (PromQL, grouping labels) of everything a week needs, for a window ending at
    the evaluation time. Histograms are ``hist:NAME`` grouped by team and ``le``."""
    span = _window(window)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name, (selector, label) in COUNTERS.items():
        out[name] = (
            f"sum by ({label}) {grown(selector, f'{selector} offset {span}')}",
            (label,),
        )
    for name, selector in HISTOGRAMS.items():
        out[f"hist:{name}"] = (
            f"sum by (team, le) {grown(selector, f'{selector} offset {span}')}",
            ("team", "le"),
        )
    out["backlog"] = (f"sum by (team) ({BACKLOG})", ("team",))
    return out


def _store(teams: dict[str, TeamWeek], name: str, labels: Mapping[str, str], value: float) -> None:
    if math.isnan(value):
        return
    if name.startswith("hist:"):
        team = teams.setdefault(labels.get("team", ""), TeamWeek())
        edge = float(labels.get("le", "nan"))
        if not math.isnan(edge):
            team.buckets.setdefault(name[5:], {})[edge] = value
    elif name == "backlog":
        teams.setdefault(labels.get("team", ""), TeamWeek()).backlog = value
    else:
        label = COUNTERS[name][1]
        teams.setdefault(labels.get(label, ""), TeamWeek()).counts[name] = value


def _named(teams: dict[str, TeamWeek]) -> dict[str, TeamWeek]:
    """Without the results that carry no team label (none of the queried series lacks it).

    The backlog gauge is exported for the teams that had open tickets lately and dropped
    some time after a team's backlog emptied: when the gauge exists for any team at the
    week's end (the exporter was up), a team without it has nothing open (0); when it exists
    for none, the backlog is unknown (None) for every team."""
    named = {t: w for t, w in teams.items() if t != ""}
    if any(w.backlog is not None for w in named.values()):
        for week in named.values():
            if week.backlog is None:
                week.backlog = 0.0
    return named


def week_counts(
    prometheus: Prometheus, start: float, at: float | None = None
) -> tuple[dict[str, TeamWeek], TeamWeek | None]:
    """Every team's figures, and all teams' together (None without data), in the week
    starting at ``start``, read at ``at`` (default the week's end; earlier for a week not
    over)."""
    at = start + WEEK if at is None else at
    teams: dict[str, TeamWeek] = {}
    for name, (expr, _) in _week_expressions(at - start).items():
        for labels, value in prometheus.vector(expr, at):
            _store(teams, name, labels, value)
    teams = _named(teams)
    return teams, (total_of(teams.values()) if teams else None)


def trend_counts(
    prometheus: Prometheus, last_end: float, weeks: int
) -> list[tuple[float, dict[str, TeamWeek]]]:
    """Each of ``weeks`` full weeks ending at ``last_end`` (oldest first): its start and its
    teams' figures, from one range query per expression (a point at each week's end)."""
    first_end = last_end - (weeks - 1) * WEEK
    by_time: dict[float, dict[str, TeamWeek]] = {first_end + i * WEEK: {} for i in range(weeks)}
    for name, (expr, _) in _week_expressions(WEEK).items():
        for labels, values in prometheus.matrix(expr, first_end, last_end, WEEK):
            for t, value in values.items():
                slot = by_time.get(t)
                if slot is not None:
                    _store(slot, name, labels, value)
    return [(t - WEEK, _named(teams)) for t, teams in by_time.items()]


def coverage(prometheus: Prometheus, start: float, now: float) -> Coverage:
    """The hourly instants of the week [start, end] with any ServicePulse data."""
    end = start + WEEK
    until = min(end, now)
    seen: list[float] = []
    if until >= start:
        for _, values in prometheus.matrix(COVERAGE, start, until, 3600):
            seen = sorted(values)
    return Coverage(start, end, seen[0] if seen else None, seen[-1] if seen else None, end <= now)


def weekly_report(
    prometheus: Prometheus, week: str, now: float | None = None, trend_weeks: int = TREND_WEEKS
) -> WeekReport:
    """The week (read at its end, or now for a week not over), the week before, the trend of
    ``trend_weeks`` weeks ending with this one, and when each of the two weeks has data."""
    now = time.time() if now is None else now
    label, start = parse_week(week)
    at = min(start + WEEK, max(now, start + 1))
    this, this_total = week_counts(prometheus, start, at)
    past = trend_counts(prometheus, start, max(1, trend_weeks - 1))
    before = past[-1][1]
    trend: list[tuple[str, TeamWeek | None]] = [
        (week_label(s), total_of(t.values()) if t else None) for s, t in past
    ]
    trend.append((label, this_total))
    return WeekReport(
        week=label,
        start=start,
        this=this,
        before=before,
        this_total=this_total,
        before_total=total_of(before.values()) if before else None,
        trend=trend,
        coverage=coverage(prometheus, start, now),
        before_coverage=coverage(prometheus, start - WEEK, now),
    )
