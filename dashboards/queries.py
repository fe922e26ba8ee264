"""The PromQL of the boards: label selectors and query builders shared by every row.

Row modules (dashboards/boards/<board>/<row>.py) build panels; the selectors and
the query shapes they combine live here, so that a change of a label or a rule
name is made once.
"""

from __future__ import annotations

import re

# ---- selectors -----------------------------------------------------------------------------

T = 'team=~"$team"'  # live board: one or more teams (All = .*)
TEAM = 'team="$team"'  # team-lead board: exactly one team
PHONE_CHAT = 'channel=~"phone|chat"'  # channels where the customer waits on the line
OUTCOMES = "servicepulse_sla_outcomes_total"
# The offset every "week before" query carries (the test evaluates it without).
PREVIOUS = " offset 7d"

# a recording-rule selector (its name has a colon), with its label matchers if any
_RULE = re.compile(r"(?<![\w:])([a-z_]*:[\w:]+)(\{[^}]*\})?")


# The ServicePulse processes Prometheus scrapes successfully now (worker, demo, serve jobs):
# nothing at all when every one of them is down or when there is no such job (a history
# backfilled into a Prometheus that scrapes nothing). A zero is only shown while one is up.
SCRAPE_JOB = 'job=~"servicepulse.*"'
SCRAPED = f"sum(up{{{SCRAPE_JOB}}} == 1)"


def or_zero(expr: str) -> str:
    """0 rather than nothing when no series matches — only while a ServicePulse target is up.

    A team with no open ticket has no gauge series, so its backlog is a true 0; but when the
    target is down (or never scraped) the same absence means "unknown", and the panel must
    show "No data" rather than a confident 0. ``on()``: no extra 0 beside
    labelled series.
    """
    return f"{expr} or on() (0 * {SCRAPED})"


def live(expr: str) -> str:
    """``expr`` only while a ServicePulse target is up: the live board's "now" figures.

    A window over counters (abandoned in the last hour) still has samples minutes after the
    target died; on a board about *now* that is a stale figure, so it gives way to "No data"
    and the scrape-health tile says why.
    """
    return f"({expr}) and on() {SCRAPED}"


def abandonment(selector: str, window: str) -> str:
    """Phone/chat contacts abandoned / created in ``window``.

    Short abandons are not left out here yet: servicepulse_contacts_abandoned_short_total is
    not in the metric catalogue of this branch (the recording rule and alert leave them out).
    """
    ab = (
        f"sum(increase(servicepulse_contacts_abandoned_total{{{selector},{PHONE_CHAT}}}[{window}]))"
    )
    created = (
        f"sum(increase(servicepulse_tickets_created_total{{{selector},{PHONE_CHAT}}}[{window}]))"
    )
    return f"{ab} / {created}"


def per_channel(rule: str, window: str, selector: str) -> str:
    """A team_channel mean or ratio rule over the selected teams, weighted by answered contacts.

    ``rule``: ``service_level:ratio_rate`` or ``asa_seconds:mean_rate`` (both per answered
    contact), so sum(figure x answered) / sum(answered) is the figure of the teams together.
    """
    answered = (
        f"team_channel:servicepulse_first_responses:increase{window}{{{selector},{PHONE_CHAT}}}"
    )
    figure = f"team_channel:servicepulse_{rule}{window}{{{selector},{PHONE_CHAT}}}"
    return (
        f"sum by (channel) ({figure} * on (team, channel) {answered})"
        f" / sum by (channel) ({answered})"
    )


# ---- team-lead board -----------------------------------------------------------------------


def transfers(direction: str, window: str) -> str:
    """Hand-offs into (``to``) or out of (``from``) the team in ``window``; 0 when none."""
    return (
        f'sum(increase(servicepulse_transfers_total{{{direction}_team="$team"}}[{window}]))'
        f" or on() (0 * {SCRAPED})"
    )


def breaches_by(label: str) -> str:
    """Breaches of the last 24 h per ``label``; 0 (not nothing) where clocks were all met."""
    return (
        f'sum by ({label}) (increase({OUTCOMES}{{{TEAM},outcome="breached"}}[1d]))'
        f" or sum by ({label}) (increase({OUTCOMES}{{{TEAM}}}[1d])) * 0"
    )


def per_target_or_zero(rule: str) -> str:
    """A (team, target) state gauge of the board's team; 0 for each target with clocks in
    the last day (the exporter only has series for teams with open tickets)."""
    outcomes = f"team_target_outcome:servicepulse_sla_outcomes:increase1d{{{TEAM}}}"
    seen = f"sum by (team, target) ({outcomes})"
    return f"{rule}{{{TEAM}}} or (0 * {seen} and on() {SCRAPED})"


def team_rule(rule: str, extra: str = "") -> str:
    """A per-team recording rule for the board's team (``extra``: more matchers)."""
    return f"{rule}{{{TEAM}{',' + extra if extra else ''}}}"


def agent_column(rule: str) -> str:
    """A per-agent rule of the board's team, keyed by ``agent`` alone (table columns join)."""
    return f"sum by (agent) ({rule}{{{TEAM}}})"


def team_alerts(state: str) -> str:
    """The board's team's alerts in ``state`` (firing / pending), by alert name."""
    return f'count by (alertname) (ALERTS{{alertstate="{state}",{TEAM}}})'


# ---- executive board -----------------------------------------------------------------------


def week_before(expr: str) -> str:
    """``expr`` a week back: ``offset 7d`` after every recording-rule selector and 7-day range."""
    out = _RULE.sub(lambda m: m.group(0) + PREVIOUS, expr)
    return out.replace("[7d]", "[7d]" + PREVIOUS)


def by_team(rule: str) -> str:
    """A per-team rule without its name, so that table columns join on ``team`` alone."""
    return f"sum by (team) ({rule})"


def outcome_ratio() -> str:
    return (
        'sum(target_outcome:servicepulse_sla_outcomes:increase7d{outcome="met"})'
        " / sum(target_outcome:servicepulse_sla_outcomes:increase7d)"
    )


def survey_answers(window: str) -> str:
    """Survey answers of all teams per kind (csat / nps / ces) in ``window``."""
    return f"sum by (kind) (kind:servicepulse_survey_responses:increase{window})"


def reopen_rate_7d() -> str:
    return (
        "sum(:servicepulse_tickets_reopened:increase7d)"
        " / sum(:servicepulse_tickets_resolved:increase7d)"
    )


def transfers_7d() -> str:
    return "sum(increase(servicepulse_transfers_total[7d]))"


def qa_score_7d() -> str:
    return (
        "sum(increase(servicepulse_qa_review_score_sum[7d]))"
        " / sum(increase(servicepulse_qa_review_score_count[7d]))"
    )


def complaints_in_time_7d(seconds: float) -> str:
    """Complaints resolved within ``seconds`` (a histogram edge) / complaints resolved, 7 days."""
    hist = "servicepulse_complaint_resolution_seconds"
    return (
        f'sum(increase({hist}_bucket{{le=~"{seconds:g}(\\\\.0)?"}}[7d]))'
        f" / sum(increase({hist}_count[7d]))"
    )


def next_deadline(selector: str, by: str) -> str:
    """Seconds to the nearest running deadline (docs/warnings.md), per ``by``."""
    return f"min by ({by}) (servicepulse_sla_next_deadline_seconds{{{selector}}})"


def clocks_by_priority(kind: str, selector: str) -> str:
    """Warning or breached running clocks by priority and tier, the pairs that have some;
    one 0 when there is none while the target is up, nothing when it is down."""
    metric = (
        "servicepulse_sla_warning_clocks"
        if kind == "warning"
        else ("servicepulse_sla_breached_running_clocks")
    )
    return or_zero(f"sum by (priority, customer_tier) ({metric}{{{selector}}}) > 0")


# ---- many teams ----------------------------------------------------------------------------


def top_teams(expr: str, rank: str, n: int) -> str:
    """``expr`` (by team) for the ``n`` teams of the highest ``rank`` (by team) only.

    ``rank`` is evaluated once, at the end of the range (``@ end()`` inside it), so a chart
    keeps the same teams from left to right instead of topk's per-step winners (which draw
    more than ``n`` lines).
    """
    return f"{expr} and on (team) topk({n}, {rank})"


def other_teams(expr: str, rank: str, n: int) -> str:
    """The sum of ``expr`` over every team outside :func:`top_teams`, as team "all others"."""
    return (
        f'label_replace(sum({expr} unless on (team) topk({n}, {rank})), "team", "all others", '
        '"", "")'
    )


def peak(rule: str, selector: str) -> str:
    """A per-team rule's highest value over the dashboard's range: what ranks teams on a chart."""
    return f"max by (team) (max_over_time({rule}{{{selector}}}[$__range] @ end()))"


def largest(expr: str, n: int) -> str:
    """The ``n`` largest series of ``expr`` above 0, largest first (bar lists, stat rows)."""
    return f"sort_desc(topk({n}, {expr} > 0))"


# ---- next-hour forecast, volume, backlog ETA, error budgets ----------------------
# The recording rules of streams/monitoring/rules/forecast.py and rules/slo.py (deploy/prometheus/
# rules/alerts.yml; docs/forecast.md, docs/monitoring.md).

FORECAST = "team:servicepulse_forecast_"
SLO = "team_target:servicepulse_slo_"


def forecast(figure: str, how: str, selector: str) -> str:
    """``how`` (min / max / sum) of a per-team forecast rule ``figure`` over the selected teams.

    ``figure`` is the rule name after ``team:servicepulse_forecast_``, e.g.
    ``service_level:ratio``. Nothing when no team has the figure (no AHT, no agents known).
    """
    return f"{how}({FORECAST}{figure}{{{selector}}})"


def per_hour(expr: str) -> str:
    """A per-second rate rule as a count per hour."""
    return f"{expr} * 3600"


def clears_at_ms(selector: str) -> str:
    """When each selected team's backlog clears at the last hour's net drain, as a Unix time in
    milliseconds (Grafana's date units); none for a team whose backlog grows or holds."""
    return f"(time() + team:servicepulse_backlog_clears_in_seconds:rate1h{{{selector}}}) * 1000"


def budget_left(window: str) -> str:
    """The board's team's error budget left over the objectives' ``window`` per target."""
    return f"{SLO}error_budget_remaining:ratio_rate{window}{{{TEAM}}}"


def days_to_exhaustion(window: str, seconds: float, pace: str) -> tuple[str, str, str]:
    """When the budget is spent at the burn rate of the last ``pace``, per target, as three
    queries: (seconds left, not burning, exhausted).

    Seconds left = budget left x the window / burn rate: a burn rate of 1 spends a whole
    budget in the window. Not burning: budget left and no breach in ``pace`` (burn rate 0, or
    no clock closed in it). Exhausted: no budget left. Each answers the budget left; the
    board says the words.
    """
    left, burn = budget_left(window), burn_rate(pace)
    on = "on (team, target)"
    return (
        f"{left} * {seconds:g} / {on} ({burn} > 0) and {left} > 0",
        f"{left} > 0 unless {on} ({burn} > 0)",
        f"{left} <= 0",
    )


def burn_rate(window: str) -> str:
    """The board's team's error-budget burn rate over ``window`` per target: share breached /
    (1 - objective). 1 spends the budget exactly over the objectives' window."""
    return (
        f"{SLO}breached:ratio_rate{window}{{{TEAM}}}"
        f" / on (team, target) (1 - {SLO}objective:ratio{{{TEAM}}})"
    )
