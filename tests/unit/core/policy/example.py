"""The contract's example policy file (section 2), as text and as a loaded document."""

from __future__ import annotations

import copy
from typing import Any

CONTRACT_EXAMPLE = """\
calendars:                      # optional; "always" (24x7) exists by default
  eu-office:
    timezone: Europe/Berlin
    days: [mon, tue, wed, thu, fri]
    hours: ["09:00", "18:00"]
    holidays: ["2026-12-25", "2026-12-26"]
at_risk: 0.8                    # optional (default 0.8)
policies:                       # first match wins
  - name: vip-urgent
    match: {customer_tier: vip, priority: urgent}
    calendar: always
    targets: {first_response: 15m, next_reply: 30m, resolution: 4h}
  - name: default
    match: {}
    calendar: eu-office
    targets: {first_response: 4h, next_reply: 8h, resolution: 3d}
"""


def base_doc() -> dict[str, Any]:
    """The contract's example as a loaded document (a fresh copy each time)."""
    return copy.deepcopy(
        {
            "calendars": {
                "eu-office": {
                    "timezone": "Europe/Berlin",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "hours": ["09:00", "18:00"],
                    "holidays": ["2026-12-25", "2026-12-26"],
                }
            },
            "at_risk": 0.8,
            "policies": [
                {
                    "name": "vip-urgent",
                    "match": {"customer_tier": "vip", "priority": "urgent"},
                    "calendar": "always",
                    "targets": {"first_response": "15m", "next_reply": "30m", "resolution": "4h"},
                },
                {
                    "name": "default",
                    "match": {},
                    "calendar": "eu-office",
                    "targets": {"first_response": "4h", "next_reply": "8h", "resolution": "3d"},
                },
            ],
        }
    )


def ticket(**fields: str) -> dict[str, str]:
    base = {"team": "billing", "channel": "email", "priority": "normal"}
    base.update(fields)
    return base
