"""The contract's vocabulary in one place: the values events may carry and the label set.

Everything here is fixed by ../shared/CONTRACT.md (sections 1, 2 and 4); the
intake, the policy loader, the engine, the exporter, the simulator and the
boards all read these names instead of spelling them again.
"""

from __future__ import annotations

from typing import Final

CHANNELS = ("phone", "chat", "email", "social", "web")
PRIORITIES = ("urgent", "high", "normal", "low")
TIERS = ("vip", "standard")
CATEGORIES = ("inquiry", "complaint", "incident", "request")
STATUSES = ("pending", "on_hold", "open")
AGENT_STATUSES = ("available", "busy", "away", "offline")  # agent.status
SURVEY_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}

# SLA targets, in the order of a ticket's clock indexes
TARGETS: Final = ("first_response", "next_reply", "resolution")
OUTCOMES: Final = ("met", "breached")

# `L` of the contract's metric table: the labels of a ticket's facts
L = ("team", "channel", "priority", "customer_tier")

DEFAULT_TIER = "standard"
DEFAULT_CATEGORY = "inquiry"
