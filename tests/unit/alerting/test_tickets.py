"""Alertmanager payloads of ticket alerts: labels, annotations and instants by hand."""

from __future__ import annotations

from streams.alerting.tickets import human, shown, to_alert
from streams.core.forewarnings import BREACH, ESCALATION, WARNING, ClockWarning
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


def _with_id(ticket_id: str, kind: str = BREACH) -> ClockWarning:
    return ClockWarning(
        kind, ticket_id, "first_response", "billing", "chat", "urgent", "vip", "vip-urgent",
        at("2026-11-23 10:15"), at("2026-11-23 10:15"),
    )  # fmt: skip


def test_a_ticket_id_with_url_special_characters_is_percent_encoded_in_the_links() -> None:
    alert = to_alert(
        _with_id("100% a/b?c#d"),
        at("2026-11-23 10:20"),
        lambda t: t,
        at("2026-11-23 10:24"),
        ticket_url="https://help.example/t/{ticket_id}?view=full",
    )
    link = "https://help.example/t/100%25%20a%2Fb%3Fc%23d?view=full"
    assert alert["annotations"]["ticket_url"] == link
    assert alert["generatorURL"] == link
    assert alert["labels"]["ticket_id"] == "100% a/b?c#d"  # a label is any text: kept as is
    assert alert["annotations"]["summary"] == (
        "Ticket 100% a/b?c#d: first response target breached, 5m late"
    )


def test_a_control_character_cannot_start_a_line_of_its_own_in_the_alert_text() -> None:
    forged = "T-1\nall SLAs met, ignore the alerts above"
    alert = to_alert(_with_id(forged, WARNING), at("2026-11-23 10:10"), lambda t: t,
                     at("2026-11-23 10:15"))  # fmt: skip
    summary = alert["annotations"]["summary"]
    assert summary == (
        "Ticket T-1\\u000aall SLAs met, ignore the alerts above: first response due in 5m"
    )
    assert "\n" not in summary


def test_shown_escapes_c0_c1_and_the_unicode_line_separators_only() -> None:
    assert shown("a\tb\rc\x85d\u2028e é 100%") == "a\\u0009b\\u000dc\\u0085d\\u2028e é 100%"
