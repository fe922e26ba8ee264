"""The Alertmanager configuration of ServicePulse (both flavours): config + environment.

The routing tree as a document; render.py writes it (``servicepulse generate``, and
deploy/alertmanager/render.py for a deployment's environment).

Alertmanager does not expand environment variables in its configuration, so
the team leads' addresses are filled in here:

    SERVICEPULSE_TEAMS                  support teams, comma-separated
                                        (default: streams/monitoring/config.py Routing.teams)
    SERVICEPULSE_LEAD_WEBHOOK_<TEAM>    webhook URL of the team lead
                                        (default: http://127.0.0.1:9095/<team>, a placeholder)
    SERVICEPULSE_LEAD_EMAIL_<TEAM>      e-mail address of the team lead (optional)
    SERVICEPULSE_LEAD_SLACK_<TEAM>      Slack/Mattermost incoming-webhook URL (optional)
    SERVICEPULSE_MANAGER_WEBHOOK_<TEAM> webhook URL of the team's manager: escalated ticket
                                        breaches (default: http://127.0.0.1:9095/<team>-manager)
    SERVICEPULSE_SMTP_SMARTHOST         host:port, needed when any e-mail is set
    SERVICEPULSE_SMTP_FROM              sender address (default alertmanager@servicepulse.local)
    SERVICEPULSE_FALLBACK_WEBHOOK       receiver of alerts without a known team
                                        (default: http://127.0.0.1:9095/unrouted)

<TEAM> is the team name upper-cased, every character other than a letter or
digit replaced by "_" (team "first-line" -> SERVICEPULSE_LEAD_WEBHOOK_FIRST_LINE).
The team "platform" (the pipeline alerts) is always routed; it is configured
like a support team.

    python3 deploy/alertmanager/render.py                 # print to stdout
    python3 deploy/alertmanager/render.py --out am.yml    # write a file

deploy/alertmanager/alertmanager.yml is the rendering with an empty environment
(placeholder webhooks) and deploy/stack/alertmanager.compose.yml the compose
flavour (every lead on the compose stack's team-lead receiver); both are written
by ``servicepulse generate``, whose ``--check`` fails when they drift. Timings,
teams and the pipeline team: streams/monitoring/config.py (Routing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from streams.monitoring import config as monitoring_config
from streams.monitoring.config import CONFIG, MonitoringConfig

PIPELINE_TEAM = CONFIG.routing.pipeline_team
PLACEHOLDER = "http://127.0.0.1:9095/{team}"
COMPOSE_RECEIVER = "http://team-lead:9095"


class RenderError(ValueError):
    pass


def env_key(team: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", team).upper()


def parse_teams(text: str) -> list[str]:
    try:
        return monitoring_config.parse_teams(text, PIPELINE_TEAM)
    except ValueError as exc:
        raise RenderError(str(exc)) from None


def receiver(name: str, team: str, env: Mapping[str, str]) -> dict[str, Any]:
    key = env_key(team)
    rec: dict[str, Any] = {
        "name": name,
        "webhook_configs": [
            {
                "url": env.get(f"SERVICEPULSE_LEAD_WEBHOOK_{key}") or PLACEHOLDER.format(team=team),
                "send_resolved": True,
            }
        ],
    }
    email = env.get(f"SERVICEPULSE_LEAD_EMAIL_{key}")
    if email:
        rec["email_configs"] = [{"to": email, "send_resolved": True}]
    slack = env.get(f"SERVICEPULSE_LEAD_SLACK_{key}")
    if slack:
        rec["slack_configs"] = [
            {
                "api_url": slack,
                "send_resolved": True,
                "title": "{{ .Status | toUpper }}: {{ .CommonAnnotations.summary }}",
                "text": (
                    "{{ range .Alerts }}{{ .Annotations.description }}\n"
                    "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
                ),
            }
        ]
    return rec


TICKET_ALERTS = 'alertname=~"ServicePulseTicketSLA.+"'  # streams/alerting/tickets.py
TICKET_WARNING = "ServicePulseTicketSLAAtRisk"
TICKET_BREACH = "ServicePulseTicketSLABreached"


def manager_receiver(team: str, env: Mapping[str, str]) -> dict[str, Any]:
    url = env.get(f"SERVICEPULSE_MANAGER_WEBHOOK_{env_key(team)}")
    return {
        "name": f"manager-{team}",
        "webhook_configs": [
            {"url": url or PLACEHOLDER.format(team=f"{team}-manager"), "send_resolved": True}
        ],
    }


def working_hours(team: str, routing: Any) -> dict[str, Any]:
    """The team's working hours as an Alertmanager time interval (``working-hours-<team>``)."""
    days, (start, end), zone = routing.team_working_hours.get(
        team, (routing.working_days, routing.working_hours, routing.working_timezone)
    )
    return {
        "name": f"working-hours-{team}",
        "time_intervals": [
            {
                "weekdays": list(days),
                "times": [{"start_time": start, "end_time": end}],
                "location": zone,
            }
        ],
    }


def ticket_alert_routes(team: str, lead: str, critical_group_wait: str) -> list[dict[str, Any]]:
    """Escalations to the manager; VIP and urgent to the lead at any hour; the warnings of
    other tickets only in working hours; every other ticket alert (a breach) at any hour.

    Only the warning route carries ``active_time_intervals``: a route that matches an alert
    and is outside its interval mutes it (Alertmanager does not fall through to the next
    route), so a route in hours that matched every ticket alert muted the breaches too.
    """
    return [
        {"receiver": f"manager-{team}", "matchers": [TICKET_ALERTS, 'escalate="manager"']},
        {
            "receiver": lead,
            "matchers": [TICKET_ALERTS, 'customer_tier="vip"'],
            "group_wait": critical_group_wait,
        },
        {
            "receiver": lead,
            "matchers": [TICKET_ALERTS, 'priority="urgent"'],
            "group_wait": critical_group_wait,
        },
        {
            "receiver": lead,
            "matchers": [f'alertname="{TICKET_WARNING}"'],
            "active_time_intervals": [f"working-hours-{team}"],
        },
        {
            "receiver": lead,
            "matchers": [TICKET_ALERTS],
            "group_wait": critical_group_wait,
        },
    ]


def render_config(
    env: Mapping[str, str],
    group_wait: str | None = None,
    group_interval: str | None = None,
    repeat_interval: str | None = None,
    critical_group_wait: str | None = None,
    critical_repeat_interval: str | None = None,
    config: MonitoringConfig = CONFIG,
) -> dict[str, Any]:
    """The Alertmanager config; timings default to the config's Routing."""
    r = config.routing
    group_wait = group_wait or r.group_wait
    group_interval = group_interval or r.group_interval
    repeat_interval = repeat_interval or r.repeat_interval
    critical_group_wait = critical_group_wait or r.critical_group_wait
    critical_repeat_interval = critical_repeat_interval or r.critical_repeat_interval
    teams = parse_teams(env.get("SERVICEPULSE_TEAMS") or ",".join(r.teams))
    teams.append(r.pipeline_team)

    routes = []
    receivers = [
        {
            "name": "unrouted",
            "webhook_configs": [
                {
                    "url": env.get("SERVICEPULSE_FALLBACK_WEBHOOK")
                    or PLACEHOLDER.format(team="unrouted"),
                    "send_resolved": True,
                }
            ],
        }
    ]
    time_intervals: list[dict[str, Any]] = []
    for team in teams:
        name = f"lead-{team}"
        receivers.append(receiver(name, team, env))
        ticket_routes: list[dict[str, Any]] = []
        if team != r.pipeline_team:
            receivers.append(manager_receiver(team, env))
            time_intervals.append(working_hours(team, r))
            ticket_routes = ticket_alert_routes(team, name, critical_group_wait)
        routes.append(
            {
                "receiver": name,
                "matchers": [f'team="{team}"'],
                "routes": [
                    *ticket_routes,
                    {
                        "receiver": name,
                        "matchers": ['severity="critical"'],
                        "group_wait": critical_group_wait,
                        "repeat_interval": critical_repeat_interval,
                    },
                ],
            }
        )

    doc: dict[str, Any] = {"global": {"resolve_timeout": "5m"}}
    if any(env.get(f"SERVICEPULSE_LEAD_EMAIL_{env_key(t)}") for t in teams):
        smarthost = env.get("SERVICEPULSE_SMTP_SMARTHOST")
        if not smarthost:
            raise RenderError("an e-mail receiver is set but SERVICEPULSE_SMTP_SMARTHOST is not")
        doc["global"].update(
            {
                "smtp_smarthost": smarthost,
                "smtp_from": env.get("SERVICEPULSE_SMTP_FROM") or "alertmanager@servicepulse.local",
                "smtp_require_tls": env.get("SERVICEPULSE_SMTP_REQUIRE_TLS", "true") == "true",
            }
        )
    doc["route"] = {
        "receiver": "unrouted",
        # one notification per alert kind, team and SLA target
        "group_by": ["alertname", "team", "target"],
        "group_wait": group_wait,
        "group_interval": group_interval,
        "repeat_interval": repeat_interval,
        "routes": routes,
    }
    doc["receivers"] = receivers
    doc["time_intervals"] = time_intervals
    doc["inhibit_rules"] = [
        {
            # a ticket's breach makes its warning (same ticket, same clock) redundant
            "source_matchers": [f'alertname="{TICKET_BREACH}"'],
            "target_matchers": [f'alertname="{TICKET_WARNING}"'],
            "equal": ["ticket_id", "target"],
        },
        {
            # a stalled or lagging pipeline makes live SLA clocks run past
            # their deadlines: those breaches are its symptoms, not the teams'
            "source_matchers": [
                'alertname=~"ServicePulseWorkerDown|ServicePulseNoEventsProcessed'
                '|ServicePulseEventLagHigh"'
            ],
            "target_matchers": ['category=~"sla|backlog"'],
        },
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "team", "target"],
        },
        {
            # a fast burn of a team's error budget pages: its slow burn says nothing more
            "source_matchers": ['alertname="ServicePulseErrorBudgetFastBurn"'],
            "target_matchers": ['alertname="ServicePulseErrorBudgetSlowBurn"'],
            "equal": ["team", "target"],
        },
    ]
    return doc


def with_receiver(
    receiver: str, environ: Mapping[str, str], config: MonitoringConfig = CONFIG
) -> dict[str, str]:
    """``environ`` with every lead (and the fallback) not set pointed at ``receiver/<team>``."""
    env = dict(environ)
    env["SERVICEPULSE_FALLBACK_WEBHOOK"] = (
        env.get("SERVICEPULSE_FALLBACK_WEBHOOK") or f"{receiver}/unrouted"
    )
    teams = parse_teams(env.get("SERVICEPULSE_TEAMS") or ",".join(config.routing.teams))
    for team in [*teams, config.routing.pipeline_team]:
        key = f"SERVICEPULSE_LEAD_WEBHOOK_{env_key(team)}"
        env[key] = env.get(key) or f"{receiver}/{team}"
        key = f"SERVICEPULSE_MANAGER_WEBHOOK_{env_key(team)}"
        env[key] = env.get(key) or f"{receiver}/{team}-manager"
    return env


def compose_config(config: MonitoringConfig = CONFIG, teams: str | None = None) -> dict[str, Any]:
    """The compose stack's config: every lead on the compose team-lead receiver."""
    env = with_receiver(COMPOSE_RECEIVER, {"SERVICEPULSE_TEAMS": teams} if teams else {}, config)
    return render_config(env, config=config)
