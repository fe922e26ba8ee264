"""Alertmanager payloads of ticket alerts: labels, annotations and instants by hand."""

from __future__ import annotations

from streams.alerting.tickets import human, to_alert
from streams.core.warnings import BREACH, ESCALATION, WARNING, ClockWarning
from tests.support import at


def warning(kind: str, deadline: float, since: float) -> ClockWarning:
    return ClockWarning(
        kind,
        "T-7",
        "first_response",
        "billing",
        "chat",
        "urgent",
        "vip",
        "vip-urgent",
        deadline,
        since,
    )


def test_a_warning_carries_the_ticket_its_deadline_and_the_time_left() -> None:
    alert = to_alert(
        warning(WARNING, at("2026-11-23 10:15"), at("2026-11-23 10:10")),
        now=at("2026-11-23 10:11"),
        wall_of=lambda t: t,
        ends_at=at("2026-11-23 10:15"),
        ticket_url="https://help.example/t/{ticket_id}",
    )
    assert alert["labels"] == {
        "alertname": "ServicePulseTicketSLAAtRisk",
        "severity": "warning",
        "team": "billing",
        "channel": "chat",
        "priority": "urgent",
        "customer_tier": "vip",
        "target": "first_response",
        "policy": "vip-urgent",
        "ticket_id": "T-7",
    }
    assert alert["annotations"]["time_left"] == "4m"
    assert alert["annotations"]["deadline"] == "2026-11-23T10:15:00Z"
    assert alert["annotations"]["ticket_url"] == "https://help.example/t/T-7"
    assert (alert["startsAt"], alert["endsAt"]) == ("2026-11-23T10:10:00Z", "2026-11-23T10:15:00Z")


def test_a_breach_says_how_late_and_an_escalation_is_marked_for_the_manager() -> None:
    breach = to_alert(
        warning(BREACH, at("2026-11-23 10:15"), at("2026-11-23 10:15")),
        at("2026-11-23 11:20"),
        lambda t: t,
        at("2026-11-23 11:24"),
    )
    assert breach["annotations"]["summary"] == (
        "Ticket T-7: first response target breached, 1h05m late"
    )
    assert breach["labels"]["severity"] == "critical" and "escalate" not in breach["labels"]
    escalated = to_alert(
        warning(ESCALATION, at("2026-11-23 10:15"), at("2026-11-23 10:45")),
        at("2026-11-23 11:20"),
        lambda t: t,
        at("2026-11-23 11:24"),
    )
    assert escalated["labels"]["escalate"] == "manager"


def test_starts_at_never_follows_ends_at_when_the_engine_clock_runs_ahead() -> None:
    alert = to_alert(
        warning(BREACH, at("2026-11-23 12:00"), at("2026-11-23 12:00")),
        at("2026-11-23 12:01"),
        lambda t: t,
        ends_at=at("2026-11-23 11:00"),
    )
    assert alert["startsAt"] == alert["endsAt"] == "2026-11-23T11:00:00Z"


def test_durations_read_like_a_person_would_say_them() -> None:
    assert [
        human(s) for s in (-5, 12, 60, 14 * 60 + 59, 3 * 3600 + 5 * 60, 2 * 86400 + 4 * 3600)
    ] == ["0s", "12s", "1m", "14m", "3h05m", "2d04h"]
