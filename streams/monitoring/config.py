"""The monitoring configuration of ServicePulse, declared once (as a monitoring mixin's config).

Every alert threshold, window and ``for:`` duration (``Thresholds``), the runbook base URL,
the teams Alertmanager routes to (``Routing``), the service-level thresholds per channel and
the boards' own colour lines (``BoardLines``) live here, each a named key with a one-line
comment. ``Objectives`` is what the boards colour against: their own lines and, where an alert
fires at the same line, that alert's threshold (declared once, in ``Thresholds``). The rules
(rules/), the alerts (alerts/), the Alertmanager and Prometheus configs, the threshold tables
of the docs and the boards in ``dashboards/`` read them; ``servicepulse generate`` writes
every output (render.py), ``--check`` fails on drift.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

TEAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a team name (label value)

# --- recording windows -------------------------------------------------------------------------

# window -> evaluation interval of its rule group (None: the global one). Long windows change
# slowly, so they are evaluated less often (still inside the 5m staleness window: no gaps).
WINDOWS: dict[str, str | None] = {"5m": None, "1h": None, "1d": "1m", "7d": "2m"}

# --- service level ------------------------------------------------------------------------------

# Seconds within which a contact must be answered to count for the service level, per channel
# (the 80/20 of phone and chat queues); each must be an edge of the duration histograms.
SERVICE_LEVEL_SECONDS: dict[str, float] = {
    "phone": 20.0,
    "chat": 20.0,
    "email": 3600.0,
    "social": 3600.0,
    "web": 3600.0,
}
# Channels where a customer waits on the line: abandonment, ASA and the 80/20 apply to them.
LIVE_CHANNELS: tuple[str, ...] = ("phone", "chat")


@dataclass(frozen=True)
class BoardLines:
    """The boards' own colour lines, where no alert fires (goal: green from; floor: red below;
    warn/bad: orange/red above). The lines an alert also draws are its threshold, declared once
    in Thresholds and read through Objectives."""

    attainment_floor: float = 0.90  # SLA attainment: red below (a tenth of the clocks missed)
    service_level_floor: float = 0.70  # service level: red below
    abandon_warn: float = 0.05  # abandonment: orange above (the usual contact-centre goal)
    csat_goal: float = 0.80  # CSAT: green from (the usual goal)
    nps_goal: float = 30.0  # NPS -100..100: green from
    nps_floor: float = 0.0  # NPS: red below
    ces_goal: float = 5.0  # CES 1-7 (7 = very easy): green from
    ces_floor: float = 4.0  # CES: red below
    fcr_goal: float = 0.70  # first-contact resolution: green from
    fcr_floor: float = 0.60  # first-contact resolution: red below
    reopen_warn: float = 0.05  # reopen rate: orange above
    reopen_bad: float = 0.10  # reopen rate: red above
    qa_goal: float = 85.0  # QA scorecard 0-100: green from
    qa_floor: float = 75.0  # QA scorecard: red below
    asa_warn: float = 15.0  # ASA of phone/chat (seconds): orange above
    lag_warn: float = 30.0  # p99 event lag (seconds): orange above
    reject_warn: float = 0.01  # rejected share: orange above


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds, windows and ``for:`` durations (alerts.yml is generated from these).

    One key per value, one comment each: the alert it belongs to and what it bounds.
    """

    # -- ServicePulseSLABreach
    urgent_breach_window: str = "15m"  # urgent/VIP tickets: any breach in this window pages
    breach_window: str = "30m"  # other tickets: breaches of a team+target counted over this
    breach_count: int = 3  # other tickets: fires from this many breaches in breach_window
    # -- ServicePulseSLABreachedOpenTickets
    breached_open_response: int = 1  # open first_response/next_reply clocks past deadline, from
    breached_open_resolution: int = 10  # open resolution clocks past deadline, from
    breached_open_for: str = "1m"  # rides out one scrape
    # -- ServicePulseSLAAttainmentLow
    attainment_min: float = 0.95  # 1h attainment below this fires (the boards' objective too)
    attainment_min_outcomes: int = 10  # only with at least this many outcomes in the hour
    attainment_for: str = "5m"  # attainment low for this long
    # -- ServicePulseSLAAtRiskPilingUp
    at_risk_count: int = 5  # running clocks of a team+target past the at-risk share, from
    at_risk_for: str = "5m"  # that many at risk for this long
    # -- ServicePulseContactsUnanswered
    unanswered_window: str = "30m"  # unanswered contacts and no first response for this long
    # -- ServicePulseBacklogGrowingFast
    backlog_growth: int = 20  # backlog growth in 1h above this many tickets ...
    backlog_growth_share: float = 0.5  # ... and above this share of its size an hour ago
    backlog_for: str = "15m"  # growing that fast for this long
    # -- ServicePulseOldestOpenTicketTooOld
    oldest_open_seconds: int = 604800  # oldest open ticket older than this (7 days)
    oldest_open_for: str = "15m"  # that old for this long
    # -- ServicePulseOldestUnansweredTooOld: the team's first-response target (policy file)
    oldest_unanswered_default_seconds: int = 3600  # the target when the policy has no catch-all
    oldest_unanswered_for: str = "2m"  # older than the target for this long
    # -- ServicePulseCSATDrop
    csat_drop: float = 0.10  # 1d CSAT below the 7d CSAT minus this ...
    csat_min: float = 0.70  # ... or below this (the boards' CSAT floor too)
    csat_min_answers: int = 20  # only with at least this many answers in the day
    csat_for: str = "30m"  # CSAT low for this long
    # -- ServicePulseAbandonmentRateHigh
    abandonment_max: float = 0.10  # 1h abandonment (phone+chat) above this (boards' red too)
    abandonment_min_contacts: int = 20  # only with at least this many contacts in the hour
    abandonment_for: str = "15m"  # abandonment high for this long
    # -- ServicePulseServiceLevelLow
    service_level_min: float = 0.80  # 1h service level (phone/chat) below this (the "80")
    service_level_min_contacts: int = 20  # only with at least this many answered in the hour
    service_level_for: str = "15m"  # service level low for this long
    # -- ServicePulseComplaintSpike
    complaint_count: int = 10  # complaints in 1h from this many ...
    complaint_factor: float = 3.0  # ... and above this multiple of the 7d hourly average
    complaint_for: str = "10m"  # the spike lasts this long
    # -- ServicePulseNoEventsProcessed
    no_events_for: str = "10m"  # no accepted event (rate over 5m is 0) for this long
    # -- ServicePulseEventLagHigh
    lag_p99_seconds: int = 120  # p99 event lag over 5m above this (seconds)
    lag_for: str = "10m"  # lagging for this long
    # -- ServicePulseDeadLetterRateHigh
    reject_ratio: float = 0.05  # rejected share over 5m above this ...
    reject_min: int = 10  # ... with at least this many rejected in 5m
    reject_for: str = "10m"  # rejecting for this long
    # -- ServicePulseWorkerDown
    worker_down_for: str = "2m"  # a worker target unscrapable for this long
    # -- ServicePulseOLABreach (the policy's `ola`)
    ola_breach_window: str = "1h"  # stints of a team past its OLA counted over this
    ola_breach_count: int = 3  # fires from this many in ola_breach_window
    # -- Error budgets of the policy file's `objectives` (Google SRE workbook, multiwindow,
    # multi-burn-rate; docs/monitoring.md). Burn rate = share breached / (1 - objective); the
    # share can never pass 100 %, so each threshold is capped there (90 %: 14.4x would be 144 %).
    slo_fast_burn: float = 14.4  # ServicePulseErrorBudgetFastBurn (page): burn rate from
    slo_fast_windows: tuple[str, str] = ("1h", "5m")  # its (long, short): short below it resets
    slo_fast_min_outcomes: int = 10  # outcomes of the team+target in the long window, at least
    slo_fast_for: str = "2m"  # fast burn for this long
    # ServicePulseErrorBudgetSlowBurn (ticket): (burn rate, long window, short window) each
    slo_slow_burns: tuple[tuple[float, str, str], ...] = ((6.0, "6h", "30m"), (1.0, "3d", "6h"))
    slo_slow_min_outcomes: int = 20  # slow burns: outcomes in the long window, at least
    slo_slow_for: str = "15m"  # slow burn for this long
    slo_long_interval: str = "1m"  # evaluation of the burn windows and counts longer than 1h
    slo_budget_interval: str = "5m"  # evaluation of the budget over the objectives' window (28d)
    # -- Next-hour service-level forecast, Erlang C (docs/forecast.md; rules/forecast.py).
    # Arrivals: the last hour blended with the next hour of past weeks.
    forecast_weeks: int = 4  # past weeks of the hour-of-week baselines (forecast and volume)
    forecast_history_weight: float = 0.5  # share of the past weeks' next hour in the arrival rate
    # the rest: the rate of this recent window (WFM's 15-minute interval: a surge shows in
    # minutes, where the last hour's mean would lag it by half an hour); the surge check too
    forecast_recent_window: str = "15m"
    forecast_aht_window: str = "1d"  # phone/chat handle time (AHT): mean over this window
    forecast_max_agents: int = 60  # Erlang C worked out for 1..this many agents (beyond: bound)
    # Chats an agent handles at once: a chat occupies 1/this of an agent for its handle time
    # (agent-Erlangs; docs/forecast.md "Chat concurrency"); 1: a chat occupies an agent like a call
    chat_concurrency: float = 1.0
    # team -> its own chat concurrency (teams not named here: chat_concurrency)
    chat_concurrency_by_team: Mapping[str, float] = field(default_factory=dict)
    forecast_interval: str = "1m"  # evaluation of the forecast and volume groups
    # -- ServicePulseServiceLevelForecastLow: next hour's service level below service_level_min
    forecast_min_contacts: int = 10  # only with at least this many phone/chat contacts forecast
    forecast_for: str = "10m"  # forecast low for this long
    # -- ServicePulseContactSurge: against the same hour of the past forecast_weeks weeks
    surge_ratio: float = 1.5  # contacts at the recent window's pace, this multiple of the usual
    surge_min_contacts: int = 10  # ... and at least this many contacts in the recent window
    surge_for: str = "10m"  # surging for this long
    # -- ServicePulseBacklogNotClearing: at the last hour's pace (resolved + abandoned - created)
    backlog_eta_max_seconds: int = 28800  # the backlog clears in more than this, or never ...
    backlog_eta_min_open: int = 20  # ... with at least this many open, while someone works ...
    # ... and above this multiple of its usual size: the same hour of the past forecast_weeks
    # weeks (a backlog at its usual size holds steady, drain about 0, and is no alarm)
    backlog_usual_ratio: float = 1.25
    # without those weeks: the usual size is the mean over this window, once the team has
    # that much history (less: no usual size, quiet; ServicePulseBacklogGrowingFast still fires)
    backlog_usual_fallback_window: str = "1d"
    backlog_eta_for: str = "30m"  # not clearing for this long

    def __post_init__(self) -> None:
        for team, chats in {"": self.chat_concurrency, **self.chat_concurrency_by_team}.items():
            if team and not TEAM_RE.match(team):
                raise ValueError(f"chat_concurrency_by_team: bad team name {team!r}")
            if not chats >= 1:  # also NaN
                raise ValueError(f"chat concurrency {chats!r} of {team or 'every team'} below 1")

    def chats_at_once(self, team: str) -> float:
        """The chats an agent of ``team`` handles at once."""
        return self.chat_concurrency_by_team.get(team, self.chat_concurrency)


@dataclass(frozen=True)
class Objectives(BoardLines):
    """What the boards colour against: their own lines (BoardLines) and, where an alert fires
    at the same line, that alert's threshold, read from Thresholds so it is declared once."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    service_level_seconds: Mapping[str, float] = field(
        default_factory=lambda: dict(SERVICE_LEVEL_SECONDS)
    )

    @property
    def attainment_objective(self) -> float:
        """SLA attainment: green from (ServicePulseSLAAttainmentLow's line)."""
        return self.thresholds.attainment_min

    @property
    def service_level_goal(self) -> float:
        """The "80" of 80/20 (ServicePulseServiceLevelLow's line)."""
        return self.thresholds.service_level_min

    @property
    def abandon_bad(self) -> float:
        """Abandonment: red above (ServicePulseAbandonmentRateHigh's line)."""
        return self.thresholds.abandonment_max

    @property
    def csat_floor(self) -> float:
        """CSAT: red below (ServicePulseCSATDrop's absolute line)."""
        return self.thresholds.csat_min

    @property
    def asa_bad(self) -> float:
        """ASA: red above the live channels' service-level threshold (the "20" of 80/20)."""
        return min(self.service_level_seconds[c] for c in LIVE_CHANNELS)

    @property
    def lag_bad(self) -> float:
        """p99 event lag: red above (ServicePulseEventLagHigh's line)."""
        return float(self.thresholds.lag_p99_seconds)

    @property
    def reject_bad(self) -> float:
        """Rejected share: red above (ServicePulseDeadLetterRateHigh's line)."""
        return self.thresholds.reject_ratio

    @property
    def at_risk_bad(self) -> float:
        """At-risk clocks of a team and target: red from (ServicePulseSLAAtRiskPilingUp's)."""
        return float(self.thresholds.at_risk_count)

    @property
    def oldest_bad(self) -> float:
        """Oldest open ticket (s): red from (ServicePulseOldestOpenTicketTooOld's line)."""
        return float(self.thresholds.oldest_open_seconds)


@dataclass(frozen=True)
class Routing:
    """Alertmanager's routing tree."""

    # Support teams with a lead receiver (SERVICEPULSE_TEAMS overrides, comma-separated).
    teams: tuple[str, ...] = ("billing", "technical", "sales")
    pipeline_team: str = "platform"  # team label of the pipeline's own alerts; always routed
    group_wait: str = "30s"  # first notification of a group waits this long
    group_interval: str = "5m"  # new alerts in a notified group wait this long
    repeat_interval: str = "4h"  # a still-firing group is re-sent after this
    critical_group_wait: str = "10s"  # the same for critical alerts
    critical_repeat_interval: str = "1h"  # the same for critical alerts
    # Ticket-level alerts (docs/warnings.md): non-VIP, non-urgent ones reach a lead only inside
    # the team's working hours (muted, not dropped, outside them); VIP and urgent at any hour.
    working_days: tuple[str, ...] = ("monday:friday",)  # Alertmanager weekday ranges
    working_hours: tuple[str, str] = ("08:00", "18:00")  # start, end, in working_timezone
    working_timezone: str = "Europe/Berlin"  # IANA zone of the working hours
    # team -> (days, (start, end), zone) where a team works other hours than the above
    team_working_hours: Mapping[str, tuple[tuple[str, ...], tuple[str, str], str]] = field(
        default_factory=dict
    )


# The runbooks the alerts link to; override with SERVICEPULSE_RUNBOOK_URL (e.g. your docs site)
# or `servicepulse generate --runbook-url`. Default: the repository-relative docs path.
DEFAULT_RUNBOOK_URL = "docs/runbooks.md"


@dataclass(frozen=True)
class MonitoringConfig:
    runbook_url: str = DEFAULT_RUNBOOK_URL  # base URL of docs/runbooks.md (anchor appended)
    thresholds: Thresholds = field(default_factory=Thresholds)  # the alerts'
    routing: Routing = field(default_factory=Routing)  # Alertmanager's
    board: BoardLines = field(default_factory=BoardLines)  # the boards' own lines
    # per channel: answered within this many seconds counts for the service level
    service_level_seconds: Mapping[str, float] = field(
        default_factory=lambda: dict(SERVICE_LEVEL_SECONDS)
    )

    @property
    def objectives(self) -> Objectives:
        """The boards' lines with the alerts' thresholds they share (one declaration each)."""
        return Objectives(
            **vars(self.board),
            thresholds=self.thresholds,
            service_level_seconds=self.service_level_seconds,
        )

    def runbook(self, alert: str) -> str:
        """The runbook link of an alert: base URL + GitHub's anchor of its section."""
        return f"{self.runbook_url}#{alert.lower()}"

    def with_env(self, environ: Mapping[str, str]) -> MonitoringConfig:
        """This config with SERVICEPULSE_RUNBOOK_URL / SERVICEPULSE_TEAMS applied."""
        out = self
        if environ.get("SERVICEPULSE_RUNBOOK_URL"):
            out = replace(out, runbook_url=environ["SERVICEPULSE_RUNBOOK_URL"])
        if environ.get("SERVICEPULSE_TEAMS") is not None:
            teams = parse_teams(environ["SERVICEPULSE_TEAMS"], out.routing.pipeline_team)
            out = replace(out, routing=replace(out.routing, teams=tuple(teams)))
        return out


def parse_teams(text: str, pipeline_team: str = Routing.pipeline_team) -> list[str]:
    """Comma-separated team names, checked; the pipeline team is left out (always routed)."""
    teams = [t.strip() for t in text.split(",") if t.strip()]
    for team in teams:
        if not TEAM_RE.match(team):
            raise ValueError(f"bad team name {team!r} in SERVICEPULSE_TEAMS")
    if not teams:
        raise ValueError("SERVICEPULSE_TEAMS names no team")
    return [t for t in teams if t != pipeline_team]


CONFIG = MonitoringConfig()


def from_environment(environ: Mapping[str, str] | None = None) -> MonitoringConfig:
    return CONFIG.with_env(os.environ if environ is None else environ)
