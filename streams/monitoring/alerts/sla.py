"""The SLA alerts: breaches, open tickets past their deadline, attainment, clocks at risk,
contacts nobody answers, the oldest unanswered contact against its policy, OLA breaches."""

from __future__ import annotations

from streams.core.policy import PolicySet
from streams.monitoring.alerts.alert import Alert, duration_text, minutes, pct
from streams.monitoring.config import MonitoringConfig

OUTCOMES = "servicepulse_sla_outcomes_total"


def breaches(config: MonitoringConfig) -> list[Alert]:
    """Breaches, open tickets past their deadline, attainment, clocks at risk, silence."""
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


def unanswered_targets(
    policies: PolicySet, default_seconds: float
) -> tuple[dict[str, float], float]:
    """(team -> first-response target of a policy matching on the team alone, catch-all's;
    ``default_seconds`` without a catch-all target)."""
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
    return teams, default if default is not None else float(default_seconds)


def oldest_unanswered(config: MonitoringConfig, policies: PolicySet) -> list[Alert]:
    """One rule per team with its own first-response target, one for every other team."""
    t = config.thresholds
    per_team, default = unanswered_targets(policies, t.oldest_unanswered_default_seconds)
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


def alerts(config: MonitoringConfig, policies: PolicySet) -> list[Alert]:
    return [*breaches(config), *oldest_unanswered(config, policies), *ola(config)]
