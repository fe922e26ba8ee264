"""Weekly figures per team from a Prometheus, from the raw counters.

A week is an ISO week in UTC, from Monday 00:00 to the next Monday 00:00. A week's count
is :func:`grown`: each counter series' value at the week's end minus its value at the start,
summed by team (one instant query, so no ``increase()`` extrapolation blurs the figure); a
series born during the week, or one that went backwards (a process restarted without its
counts), counts its value at the end. A ratio is the ratio of two such counts. Needs a
sample within Prometheus's 5-minute lookback before each boundary: true for a scraped or
backfilled (step <= 5m) history. The executive board uses the same definition.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from streams.errors import UserError

WEEK = 7 * 86400.0

# name -> (numerator selector, denominator selector or None)
QUERIES: dict[str, str] = {
    "created": "servicepulse_tickets_created_total",
    "resolved": "servicepulse_tickets_resolved_total",
    "fcr": "servicepulse_first_contact_resolutions_total",
    "csat_good": 'servicepulse_survey_responses_total{kind="csat",score=~"4|5"}',
    "csat_all": 'servicepulse_survey_responses_total{kind="csat"}',
    "sla_met": 'servicepulse_sla_outcomes_total{outcome="met"}',
    "sla_breached": 'servicepulse_sla_outcomes_total{outcome="breached"}',
}


@dataclass
class TeamWeek:
    """Counts of one team (or ``all``) in one week; ratios are None without a denominator."""

    counts: dict[str, float] = field(default_factory=dict)

    def count(self, name: str) -> float:
        return self.counts.get(name, 0.0)

    @property
    def volume(self) -> float:
        return self.count("created")

    @property
    def csat(self) -> float | None:
        return _ratio(self.count("csat_good"), self.count("csat_all"))

    @property
    def sla(self) -> float | None:
        met = self.count("sla_met")
        return _ratio(met, met + self.count("sla_breached"))

    @property
    def fcr(self) -> float | None:
        return _ratio(self.count("fcr"), self.count("resolved"))

    @property
    def surveys(self) -> float:
        return self.count("csat_all")


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


@dataclass
class WeekReport:
    """One week's figures and the week before's: per team, and for all teams together (kept
    apart from the teams, so that a team may be called anything, ``all`` included)."""

    week: str  # 2026-W47
    start: float
    this: dict[str, TeamWeek]  # team -> figures
    before: dict[str, TeamWeek]
    this_total: TeamWeek | None = None  # every team together; None: no data that week
    before_total: TeamWeek | None = None


def parse_week(text: str) -> tuple[str, float]:
    """``2026-W47`` -> (label, Monday 00:00 UTC)."""
    try:
        year, week = text.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise UserError(f"--week {text!r}: expected an ISO week like 2026-W47") from None
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC).timestamp()
    return f"{int(year)}-W{int(week):02d}", start


def last_complete_week(now: float) -> str:
    today = datetime.fromtimestamp(now, UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def query(self, expr: str, at: float) -> dict[str, float]:
        """Instant query of ``sum by (team)``: team -> value (``""`` for a series without a
        team, e.g. the result of a plain ``sum``: a label's value is never empty)."""
        params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/query?{params}", timeout=60) as r:
                body = json.load(r)
        except urllib.error.HTTPError as exc:
            raise UserError(f"Prometheus at {self.url} refused a query: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot query Prometheus at {self.url}: {exc}") from None
        if body.get("status") != "success":
            raise UserError(f"Prometheus at {self.url}: {body.get('error', 'query failed')}")
        return {
            item["metric"].get("team", ""): float(item["value"][1])
            for item in body["data"]["result"]
        }


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


def week_counts(
    prometheus: Prometheus, start: float
) -> tuple[dict[str, TeamWeek], TeamWeek | None]:
    """Every team's counts, and all teams' together (None without data), in the week
    starting at ``start``."""
    teams: dict[str, TeamWeek] = {}
    total: TeamWeek | None = None
    for name, selector in QUERIES.items():
        expr = grown(selector, f"{selector} offset 1w")
        for team, value in prometheus.query(f"sum by (team) {expr}", start + WEEK).items():
            teams.setdefault(team, TeamWeek()).counts[name] = value
        for value in prometheus.query(f"sum {expr}", start + WEEK).values():
            total = total or TeamWeek()
            total.counts[name] = value
    return teams, total


def weekly_report(prometheus: Prometheus, week: str) -> WeekReport:
    label, start = parse_week(week)
    this, this_total = week_counts(prometheus, start)
    before, before_total = week_counts(prometheus, start - WEEK)
    return WeekReport(label, start, this, before, this_total, before_total)
