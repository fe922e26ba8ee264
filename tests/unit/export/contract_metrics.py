"""The metric table of CONTRACT.md section 4, copied by hand (not from the catalogue).

name as exposed -> (kind, label names). ``L`` = team, channel, priority, customer_tier.
"""

from __future__ import annotations

L = ("team", "channel", "priority", "customer_tier")

CONTRACT_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "servicepulse_tickets_created_total": ("counter", L),
    "servicepulse_tickets_resolved_total": ("counter", L),
    "servicepulse_tickets_reopened_total": ("counter", L),
    "servicepulse_first_contact_resolutions_total": ("counter", L),
    "servicepulse_contacts_abandoned_total": ("counter", ("team", "channel")),
    "servicepulse_transfers_total": ("counter", ("from_team", "to_team")),
    "servicepulse_first_response_seconds": ("histogram", L),
    "servicepulse_next_reply_seconds": ("histogram", L),
    "servicepulse_resolution_seconds": ("histogram", L),
    "servicepulse_sla_outcomes_total": (
        "counter",
        ("team", "channel", "priority", "customer_tier", "policy", "target", "outcome"),
    ),
    "servicepulse_survey_responses_total": ("counter", ("team", "channel", "kind", "score")),
    "servicepulse_qa_review_score": ("histogram", ("team",)),
    "servicepulse_agent_work_seconds_total": ("counter", ("team", "channel")),
    "servicepulse_open_tickets": ("gauge", ("team", "priority", "customer_tier")),
    "servicepulse_unanswered_tickets": ("gauge", ("team",)),
    "servicepulse_oldest_open_ticket_age_seconds": ("gauge", ("team",)),
    "servicepulse_sla_at_risk_tickets": ("gauge", ("team", "target")),
    "servicepulse_sla_breached_open_tickets": ("gauge", ("team", "target")),
    "servicepulse_events_processed_total": ("counter", ("type",)),
    "servicepulse_events_rejected_total": ("counter", ("reason",)),
    "servicepulse_event_lag_seconds": ("histogram", ()),
    # section 4's prose: events of unlisted teams counted under `other`
    "servicepulse_unlisted_team_events_total": ("counter", ()),
}
# Where the code differs from the contract today. Each is a strict xfail:
# the test starts failing once the code is fixed, so the entry is removed then.
DEVIATIONS: dict[str, str] = {}


def family_name(exposed: str) -> str:
    """prometheus_client's parser names a counter family without ``_total``."""
    return exposed.removesuffix("_total")
