"""The alert rules of ServicePulse: expressions with the thresholds of the config filled in."""

from __future__ import annotations

from streams.core.policy import PolicySet
from streams.monitoring import forecast_rules, slo
from streams.monitoring.alert import Alert, duration_text, pct, unanswered_targets
from streams.monitoring.config import LIVE_CHANNELS, MonitoringConfig

OUTCOMES = "servicepulse_sla_outcomes_total"
PLATFORM = {"team": "platform"}


def minutes(d: str) -> str:
    """ "30m" -> "30 minutes", "1h" -> "1 hour" (for descriptions)."""
    n, unit = int(d[:-1]), {"s": "second", "m": "minute", "h": "hour", "d": "day"}[d[-1]]
    return f"{n} {unit}{'s' if n != 1 else ''}"


def sla(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    uw, bw = t.urgent_breach_window, t.breach_window
    return [
        Alert(
            "ServicePulseSLABreach",
            "sla",
            f"""\
sum by (team, target) (
    increase({OUTCOMES}{{outcome="breached",priority="urgent"}}[{uw}])
  or
    increase({OUTCOMES}{{outcome="breached",customer_tier="vip"}}[{uw}])
) > 0""",
            "critical",
            "Team {{ $labels.team }} breached the {{ $labels.target }} SLA of urgent/VIP tickets",
            f"""\
{{{{ $value | printf "%.0f" }}}} urgent or VIP {{{{ $labels.target }}}} SLA clock(s) of team
{{{{ $labels.team }}}} breached in the last {minutes(uw)} (threshold: any).""",
            f"> 0 urgent-or-VIP breaches of a team+target in {uw}",
            labels={"class": "urgent-or-vip"},
            comment="Urgent or VIP tickets: every breach pages. `or` keeps a series that is\n"
            "both urgent and VIP once (same label set on both sides).",
            row="ServicePulseSLABreach (urgent/VIP)",
        ),
        Alert(
            "ServicePulseSLABreach",
            "sla",
            f"""\
sum by (team, target) (
  increase({OUTCOMES}{{outcome="breached",priority!="urgent",customer_tier!="vip"}}[{bw}])
) >= {t.breach_count}""",
            "warning",
            "Team {{ $labels.team }} is breaching the {{ $labels.target }} SLA",
            f"""\
{{{{ $value | printf "%.0f" }}}} {{{{ $labels.target }}}} SLA clock(s) of team {{{{ $labels.team }}}}
(normal tickets) breached in the last {minutes(bw)} (threshold: {t.breach_count}).""",
            f">= {t.breach_count} breaches of a team+target in {bw}",
            labels={"class": "standard"},
            row="ServicePulseSLABreach (others)",
        ),
        Alert(
            "ServicePulseSLABreachedOpenTickets",
            "sla",
            f"""\
(team_target:servicepulse_sla_breached_open_tickets:sum{{target=~"first_response|next_reply"}} >= {t.breached_open_response})
or
(team_target:servicepulse_sla_breached_open_tickets:sum{{target="resolution"}} >= {t.breached_open_resolution})""",
            "warning",
            "Team {{ $labels.team }} has open tickets past their {{ $labels.target }} SLA deadline",
            f"""\
{{{{ $value | printf "%.0f" }}}} open ticket(s) of team {{{{ $labels.team }}}} are past their
{{{{ $labels.target }}}} deadline and still waiting (threshold: {t.breached_open_response} for first_response and
next_reply, {t.breached_open_resolution} for resolution).""",
            f">= {t.breached_open_response} open first_response/next_reply clock past its deadline, "
            f">= {t.breached_open_resolution} open resolution clocks past their deadline",
            for_=t.breached_open_for,
            comment="State, not history: resolves as soon as the late tickets are answered.",
        ),
        Alert(
            "ServicePulseSLAAttainmentLow",
            "sla",
            f"""\
team_target:servicepulse_sla_attainment:ratio_rate1h < {t.attainment_min:g}
and on (team, target)
sum by (team, target) (team_target_outcome:servicepulse_sla_outcomes:increase1h) >= {t.attainment_min_outcomes}""",
            "warning",
            "Team {{ $labels.team }} {{ $labels.target }} SLA attainment below target over the last hour",
            f"""\
{{{{ $labels.target }}}} SLA attainment of team {{{{ $labels.team }}}} over the last hour is
{{{{ $value | humanizePercentage }}}} (target: {pct(t.attainment_min)}, with at least {t.attainment_min_outcomes} outcomes in the hour).""",
            f"attainment over 1h < {t.attainment_min:g} with >= {t.attainment_min_outcomes} outcomes in 1h",
            for_=t.attainment_for,
        ),
        Alert(
            "ServicePulseSLAAtRiskPilingUp",
            "sla",
            f"team_target:servicepulse_sla_at_risk_tickets:sum >= {t.at_risk_count}",
            "warning",
            "Tickets of team {{ $labels.team }} are close to their {{ $labels.target }} SLA deadline",
            f"""\
{{{{ $value | printf "%.0f" }}}} running {{{{ $labels.target }}}} clock(s) of team {{{{ $labels.team }}}}
are past the at-risk share of their target and not yet breached (threshold: {t.at_risk_count}).""",
            f">= {t.at_risk_count} clocks of a team+target past the at-risk share",
            for_=t.at_risk_for,
        ),
        Alert(
            "ServicePulseContactsUnanswered",
            "sla",
            f"""\
(
    min_over_time(team:servicepulse_unanswered_tickets:sum[{t.unanswered_window}]) > 0
  and on (team)
    (team:servicepulse_unanswered_tickets:sum offset {t.unanswered_window} > 0)
)
unless on (team)
(sum by (team) (increase(servicepulse_first_response_seconds_count[{t.unanswered_window}])) > 0)""",
            "critical",
            f"Team {{{{ $labels.team }}}} has not answered any contact for {minutes(t.unanswered_window)}",
            f"""\
Team {{{{ $labels.team }}}} has had at least {{{{ $value | printf "%.0f" }}}} unanswered contact(s)
for {minutes(t.unanswered_window)} and sent no first response in that time (threshold: {minutes(t.unanswered_window)}).""",
            f"unanswered contacts for {t.unanswered_window} and no first response in {t.unanswered_window}",
            comment=f"Unanswered contacts for the whole {minutes(t.unanswered_window)} (also "
            f"{t.unanswered_window} ago, so a\nfreshly started Prometheus does not fire) and not a "
            "single first\nresponse in that time: the team has stopped answering.",
        ),
    ]


def oldest_unanswered(config: MonitoringConfig, policies: PolicySet) -> list[Alert]:
    """One rule per team with its own first-response target, one for every other team."""
    t = config.thresholds
    per_team, default = unanswered_targets(policies)
    gauge = "team:servicepulse_oldest_unanswered_ticket_age_seconds:max"
    cases = [(f'{{team="{team}"}}', s, f"team {team}") for team, s in per_team.items()]
    others = f'{{team!~"{"|".join(per_team)}"}}' if per_team else ""
    cases.append((others, default, "the catch-all policy"))
    rules = []
    for selector, seconds, whose in cases:
        rules.append(
            Alert(
                "ServicePulseOldestUnansweredTooOld",
                "sla",
                f"{gauge}{selector} > {seconds:g}",
                "warning",
                "A contact of team {{ $labels.team }} waits longer than its first-response target",
                f"""\
The oldest unanswered contact of team {{{{ $labels.team }}}} has waited {{{{ $value | humanizeDuration }}}}
(threshold: {duration_text(seconds)}, the first-response target of {whose}; paused tickets not counted).""",
                "oldest open, unpaused ticket without a public response older than the team's "
                "first-response target (policy file: a policy matching only `team`, else the "
                f"catch-all; now {duration_text(default)})",
                for_=t.oldest_unanswered_for,
                comment="Wall-clock age against the policy's first-response target: the policy file"
                "\nthe rules were generated with (servicepulse generate --policy P).",
            )
        )
    return rules


def ola(config: MonitoringConfig) -> list[Alert]:
    """A team holds tickets past its OLA (the policy's ``ola``: the journey across teams)."""
    t = config.thresholds
    w = t.ola_breach_window
    return [
        Alert(
            "ServicePulseOLABreach",
            "sla",
            f"""\
sum by (team) (
  increase(servicepulse_ola_outcomes_total{{outcome="breached"}}[{w}])
) >= {t.ola_breach_count}""",
            "warning",
            "Team {{ $labels.team }} holds tickets past its OLA",
            f"""\
{{{{ $value | printf "%.0f" }}}} ticket(s) held by team {{{{ $labels.team }}}} passed the team's OLA
(the policy's hand-off target) in the last {minutes(w)} (threshold: {t.ola_breach_count}).""",
            f">= {t.ola_breach_count} stints of a team past its OLA in {w}",
            comment="Counted the moment a stint passes the team's OLA, not when the ticket\n"
            "finally moves on: the team still holds those tickets.",
        )
    ]


def backlog(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    return [
        Alert(
            "ServicePulseBacklogGrowingFast",
            "backlog",
            f"""\
(team:servicepulse_open_tickets:delta1h > {t.backlog_growth})
and
(team:servicepulse_open_tickets:delta1h > {t.backlog_growth_share:g} * (team:servicepulse_open_tickets:sum offset 1h))""",
            "warning",
            "Backlog of team {{ $labels.team }} is growing fast",
            f"""\
The backlog of team {{{{ $labels.team }}}} grew by {{{{ $value | printf "%.0f" }}}} tickets in the
last hour (thresholds: more than {t.backlog_growth} tickets and more than {pct(t.backlog_growth_share)} of its size an hour ago).""",
            f"backlog +{t.backlog_growth} tickets in 1h AND +{pct(t.backlog_growth_share)} of its size an hour ago",
            for_=t.backlog_for,
        ),
        Alert(
            "ServicePulseOldestOpenTicketTooOld",
            "backlog",
            f"team:servicepulse_oldest_open_ticket_age_seconds:max > {t.oldest_open_seconds}",
            "warning",
            f"Team {{{{ $labels.team }}}} has a ticket open for more than {duration_text(t.oldest_open_seconds)}",
            f"""\
The oldest open ticket of team {{{{ $labels.team }}}} is {{{{ $value | humanizeDuration }}}} old
(threshold: {duration_text(t.oldest_open_seconds)}).""",
            f"oldest open ticket older than {duration_text(t.oldest_open_seconds)} ({t.oldest_open_seconds} s)",
            for_=t.oldest_open_for,
        ),
    ]


def satisfaction(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    live = "|".join(LIVE_CHANNELS)
    sl_channels = "|".join(LIVE_CHANNELS)
    return [
        Alert(
            "ServicePulseCSATDrop",
            "satisfaction",
            f"""\
(
    team:servicepulse_csat:ratio_rate1d < team:servicepulse_csat:ratio_rate7d - {t.csat_drop:.2f}
  or
    team:servicepulse_csat:ratio_rate1d < {t.csat_min:.2f}
)
and on (team)
team_kind:servicepulse_survey_responses:increase1d{{kind="csat"}} >= {t.csat_min_answers}""",
            "warning",
            "CSAT of team {{ $labels.team }} dropped",
            f"""\
CSAT of team {{{{ $labels.team }}}} over the last day is {{{{ $value | humanizePercentage }}}}
(thresholds: {t.csat_drop * 100:g} points below its 7-day CSAT, or below {pct(t.csat_min)}; at least {t.csat_min_answers} answers in the day).""",
            f"1d CSAT < 7d CSAT - {t.csat_drop:.2f}, or 1d CSAT < {t.csat_min:.2f}; >= {t.csat_min_answers} answers/1d",
            for_=t.csat_for,
        ),
        Alert(
            "ServicePulseAbandonmentRateHigh",
            "satisfaction",
            f"""\
team:servicepulse_abandonment:ratio_rate1h > {t.abandonment_max:.2f}
and on (team)
sum by (team) (increase(servicepulse_tickets_created_total{{channel=~"{live}"}}[1h])) >= {t.abandonment_min_contacts}""",
            "warning",
            "Customers of team {{ $labels.team }} hang up before an answer",
            f"""\
{{{{ $value | humanizePercentage }}}} of the phone and chat contacts of team {{{{ $labels.team }}}}
were abandoned in the last hour (threshold: {pct(t.abandonment_max)}, with at least {t.abandonment_min_contacts} contacts in the hour;
short abandons left out).""",
            f"1h abandonment (phone+chat, short abandons left out) > {t.abandonment_max:.2f} "
            f"with >= {t.abandonment_min_contacts} contacts in 1h",
            for_=t.abandonment_for,
        ),
        Alert(
            "ServicePulseServiceLevelLow",
            "satisfaction",
            f"""\
team_channel:servicepulse_service_level:ratio_rate1h{{channel=~"{sl_channels}"}} < {t.service_level_min:.2f}
and on (team, channel)
team_channel:servicepulse_first_responses:increase1h >= {t.service_level_min_contacts}""",
            "warning",
            "Team {{ $labels.team }} answers too few {{ $labels.channel }} contacts in time",
            f"""\
{{{{ $value | humanizePercentage }}}} of the {{{{ $labels.channel }}}} contacts of team {{{{ $labels.team }}}}
were answered within the service-level threshold in the last hour (threshold: {pct(t.service_level_min)},
with at least {t.service_level_min_contacts} answered in the hour).""",
            f"1h service level (phone, chat) < {t.service_level_min:.2f} "
            f"with >= {t.service_level_min_contacts} answered in 1h",
            for_=t.service_level_for,
        ),
        Alert(
            "ServicePulseComplaintSpike",
            "satisfaction",
            f"""\
(team:servicepulse_complaints:increase1h >= {t.complaint_count})
and
(team:servicepulse_complaints:increase1h > {t.complaint_factor:g} * team:servicepulse_complaints:increase7d / 168)""",
            "warning",
            "Complaint volume spike for team {{ $labels.team }}",
            f"""\
{{{{ $value | printf "%.0f" }}}} complaints reached team {{{{ $labels.team }}}} in the last hour
(thresholds: at least {t.complaint_count}, and more than {t.complaint_factor:g} times the hourly average of the last 7 days).""",
            f">= {t.complaint_count} complaints in 1h AND > {t.complaint_factor:g}x the hourly average of 7d",
            for_=t.complaint_for,
        ),
    ]


def pipeline(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    return [
        Alert(
            "ServicePulseNoEventsProcessed",
            "pipeline",
            """\
(
    job:servicepulse_events_processed:rate5m
  or
    0 * sum by (job) (up{job=~"servicepulse-.*"} == 1)
) == 0""",
            "critical",
            "ServicePulse job {{ $labels.job }} processes no events",
            f"""\
Job {{{{ $labels.job }}}} accepted {{{{ $value }}}} events/s over the last 5 minutes, for more
than {minutes(t.no_events_for)} (threshold: 0). SLA figures are frozen while this lasts.""",
            "0 accepted events/s over 5m on a scraped job",
            for_=t.no_events_for,
            labels=PLATFORM,
            comment="A job that is up but has no counter yet (nothing accepted since start)\n"
            "counts as 0; a job that is down is ServicePulseWorkerDown's business.",
        ),
        Alert(
            "ServicePulseEventLagHigh",
            "pipeline",
            f":servicepulse_event_lag_seconds:p99_rate5m > {t.lag_p99_seconds}",
            "warning",
            "ServicePulse processes events late",
            f"""\
p99 of processing time minus event time over 5 minutes is {{{{ $value | humanizeDuration }}}}
(threshold: {t.lag_p99_seconds} s). Live SLA clocks may count breaches that are not real.""",
            f"p99 event lag over 5m > {t.lag_p99_seconds} s",
            for_=t.lag_for,
            labels=PLATFORM,
        ),
        Alert(
            "ServicePulseDeadLetterRateHigh",
            "pipeline",
            f"""\
:servicepulse_events_rejected:ratio_rate5m > {t.reject_ratio:.2f}
and
sum(increase(servicepulse_events_rejected_total[5m])) >= {t.reject_min}""",
            "warning",
            "ServicePulse rejects many events to the dead-letter topic",
            f"""\
{{{{ $value | humanizePercentage }}}} of the events of the last 5 minutes were rejected
(threshold: {pct(t.reject_ratio)}, with at least {t.reject_min} rejected events).""",
            f"rejected share over 5m > {t.reject_ratio:.2f} with >= {t.reject_min} rejected in 5m",
            for_=t.reject_for,
            labels=PLATFORM,
        ),
        Alert(
            "ServicePulseWorkerDown",
            "pipeline",
            'up{job="servicepulse-worker"} == 0',
            "critical",
            "ServicePulse worker {{ $labels.instance }} is down",
            f"""\
Prometheus cannot scrape the ServicePulse worker {{{{ $labels.instance }}}} (job
{{{{ $labels.job }}}}) for more than {minutes(t.worker_down_for)}. Its partitions are not processed.""",
            "up == 0 for a servicepulse-worker target",
            for_=t.worker_down_for,
            labels=PLATFORM,
        ),
    ]


def build(config: MonitoringConfig, policies: PolicySet) -> list[Alert]:
    return [
        *sla(config),
        *oldest_unanswered(config, policies),
        *ola(config),
        *backlog(config),
        *satisfaction(config),
        *pipeline(config),
        *slo.alerts(config, policies.objectives),
        *forecast_rules.alerts(config),
    ]
