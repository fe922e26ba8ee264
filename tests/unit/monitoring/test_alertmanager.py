"""The ticket-alert routes of the generated Alertmanager config (docs/warnings.md).

Alertmanager takes the first matching route (no ``continue``) and, when that route is outside
its ``active_time_intervals``, mutes the alert: it does not fall through to a later route. So
the one route with working hours must match the warnings only. The routing itself is tested
against a real Alertmanager in tests/integration/test_ticket_alerts.py.
"""

from __future__ import annotations

import re
from typing import Any

from streams.monitoring.alertmanager import TICKET_BREACH, TICKET_WARNING, render_config

ESCALATION = "ServicePulseTicketSLAEscalated"


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """One Alertmanager matcher (``=``, ``!=``, ``=~``, ``!~``) against a label set."""
    name, op, value = re.fullmatch(r'(\w+)(=~|!~|!=|=)"(.*)"', matcher).groups()  # type: ignore[union-attr]
    have = labels.get(name, "")
    if op == "=":
        return have == value
    if op == "!=":
        return have != value
    found = re.fullmatch(value, have) is not None
    return found if op == "=~" else not found


def first_route(route: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The route Alertmanager picks for ``labels`` (depth first, first match, no continue)."""
    for child in route.get("routes", []):
        if all(matches(m, labels) for m in child.get("matchers", [])):
            return first_route(child, labels)
    return route


def ticket_alert(name: str, **labels: str) -> dict[str, str]:
    base = {"team": "billing", "priority": "normal", "customer_tier": "standard"}
    return {"alertname": name, **base, **labels}


def test_only_the_warning_of_a_standard_ticket_waits_for_working_hours() -> None:
    route = render_config({})["route"]
    warning = first_route(route, ticket_alert(TICKET_WARNING, severity="warning"))
    assert warning["receiver"] == "lead-billing"
    assert warning["active_time_intervals"] == ["working-hours-billing"]


def test_a_standard_ticket_breach_goes_to_the_lead_at_any_hour() -> None:
    route = render_config({})["route"]
    breach = first_route(route, ticket_alert(TICKET_BREACH, severity="critical"))
    assert breach["receiver"] == "lead-billing"
    assert "active_time_intervals" not in breach
    assert breach["group_wait"] == "10s"  # the critical group wait of Routing


def test_an_escalation_goes_to_the_manager_at_any_hour() -> None:
    route = render_config({})["route"]
    escalation = first_route(
        route, ticket_alert(ESCALATION, severity="critical", escalate="manager")
    )
    assert escalation["receiver"] == "manager-billing"
    assert "active_time_intervals" not in escalation


def test_vip_and_urgent_warnings_go_to_the_lead_at_any_hour() -> None:
    route = render_config({})["route"]
    for extra in ({"customer_tier": "vip"}, {"priority": "urgent"}):
        warning = first_route(route, ticket_alert(TICKET_WARNING, severity="warning", **extra))
        assert warning["receiver"] == "lead-billing"
        assert "active_time_intervals" not in warning


def test_every_route_with_working_hours_matches_the_ticket_warning_alone() -> None:
    def walk(route: dict[str, Any]) -> list[dict[str, Any]]:
        return [route, *(r for child in route.get("routes", []) for r in walk(child))]

    timed = [r for r in walk(render_config({})["route"]) if "active_time_intervals" in r]
    assert len(timed) == 3  # billing, technical, sales (not the platform team)
    for route in timed:
        assert route["matchers"] == [f'alertname="{TICKET_WARNING}"']
