"""Ticket-level alerts in Alertmanager's v2 format, built from the core's clock warnings.

Alertmanager alerts are not time series: a ticket id is a fine label here.
``startsAt`` is derived from the engine's state (when the warning or breach
began), so a restarted process re-announces the same alert, which
Alertmanager merges instead of notifying again.

A ticket id is the helpdesk's text (printable, at most 256 characters by the
contract, but ``%``, ``/``, ``?``, ``#``, spaces and quotes are all allowed): in the
``ticket_url`` link (and ``generatorURL``, which Alertmanager parses as a URL and
answers ``422`` for the whole push when it does not parse) it is percent-encoded as
one path segment; in the alert text any control character that would reach it is
escaped (``\\u000a``), so that an id can never end a line of a notification and
write one of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from streams.core.forewarnings import BREACH, ESCALATION, WARNING, ClockWarning

ALERT_NAMES = {
    WARNING: "ServicePulseTicketSLAAtRisk",
    BREACH: "ServicePulseTicketSLABreached",
    ESCALATION: "ServicePulseTicketSLAEscalated",
}
SEVERITY = {WARNING: "warning", BREACH: "critical", ESCALATION: "critical"}
WHAT = {"first_response": "first response", "next_reply": "next reply", "resolution": "resolution"}

Key = tuple[str, str, str]  # (ticket_id, target, kind)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: str) -> str:
    """``text`` for alert text: every control (and line-separator) character escaped."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def ticket_link(template: str, ticket_id: str) -> str:
    """``template`` with ``{ticket_id}`` replaced by the id percent-encoded (RFC 3986)."""
    return template.replace("{ticket_id}", quote(ticket_id, safe=""))


def rfc3339(posix: float) -> str:
    return datetime.fromtimestamp(posix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def human(seconds: float) -> str:
    """12s, 14m, 3h05m, 2d04h."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def key_of(warning: ClockWarning) -> Key:
    return (warning.ticket_id, warning.target, warning.kind)


def to_alert(
    warning: ClockWarning,
    now: float,
    wall_of: Callable[[float], float],
    ends_at: float,
    ticket_url: str | None = None,
) -> dict[str, Any]:
    """One Alertmanager v2 alert; ``now`` in engine time, ``ends_at`` in wall time."""
    what = WHAT.get(warning.target, warning.target)
    ticket = shown(warning.ticket_id)
    labels = {
        "alertname": ALERT_NAMES[warning.kind],
        "severity": SEVERITY[warning.kind],
        "team": warning.team,
        "channel": warning.channel,
        "priority": warning.priority,
        "customer_tier": warning.customer_tier,
        "target": warning.target,
        "policy": warning.policy,
        "ticket_id": warning.ticket_id,
    }
    if warning.kind == ESCALATION:
        labels["escalate"] = "manager"
    deadline_known = warning.deadline != float("inf")
    if warning.kind == WARNING:
        summary = f"Ticket {ticket}: {what} due in {human(warning.deadline - now)}"
    else:
        late = f", {human(now - warning.deadline)} late" if deadline_known else ""
        summary = f"Ticket {ticket}: {what} target breached{late}"
    annotations = {
        "summary": summary,
        "description": (
            f"{warning.priority} {warning.customer_tier} {warning.channel} ticket of team "
            f"{shown(warning.team)} under policy {shown(warning.policy)}."
        ),
        "time_left": human(warning.deadline - now) if deadline_known else "0s",
    }
    if deadline_known:
        annotations["deadline"] = rfc3339(wall_of(warning.deadline))
    alert: dict[str, Any] = {
        "labels": labels,
        "annotations": annotations,
        # never after endsAt: Alertmanager refuses such an alert (engine clock ahead of the wall)
        "startsAt": rfc3339(min(wall_of(warning.since), ends_at)),
        "endsAt": rfc3339(ends_at),
    }
    if ticket_url:
        link = ticket_link(ticket_url, warning.ticket_id)
        annotations["ticket_url"] = link
        alert["generatorURL"] = link
    return alert
