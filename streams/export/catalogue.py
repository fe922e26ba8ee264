"""The metric catalogue of the contract (section 4), shared by the exporter, tests and docs.

Names here omit the ``servicepulse_`` prefix and, for counters, the ``_total``
suffix that prometheus-client adds itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.core.vocabulary import L

PREFIX = "servicepulse_"

# Seconds to 90 days, with the common SLA thresholds (15m, 30m, 1h, 2h, 4h, 8h, 1d, 3d) and the
# contact centres' 20 s service level ("80/20") as edges, so that `le` buckets answer "share
# answered within T" exactly (`le` is inclusive: a contact answered at exactly T is within T).
DURATION_BUCKETS = (
    10.0,
    20.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    14400.0,
    28800.0,
    43200.0,
    86400.0,
    172800.0,
    259200.0,
    432000.0,
    604800.0,
    # beyond a week, so that a resolution p90 of 11 days is not read as the 7-day edge
    # (10, 14, 21, 30, 60 and 90 days)
    864000.0,
    1209600.0,
    1814400.0,
    2592000.0,
    5184000.0,
    7776000.0,
)
QA_BUCKETS = (50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0, 100.0)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


AGENT = ("team", "agent")  # agent: bounded by the policy file's roster or max_agents


@dataclass(frozen=True)
class Metric:
    name: str  # without prefix; counters without the _total suffix
    kind: str  # counter, histogram, gauge
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()

    @property
    def exposed(self) -> str:
        """The name as Prometheus sees it (counters with ``_total``)."""
        suffix = "_total" if self.kind == "counter" else ""
        return f"{PREFIX}{self.name}{suffix}"


AGENT_METRICS: tuple[Metric, ...] = (
    Metric("agent_first_responses", "counter", AGENT, "First responses, by the replying agent."),
    Metric(
        "agent_first_response_seconds",
        "counter",
        AGENT,
        "Sum of the SLA-clock first-response times of the agent's first responses.",
    ),
    Metric(
        "agent_resolutions",
        "counter",
        AGENT,
        "Resolutions, by the resolving agent (else assigned, else last public replier).",
    ),
    Metric(
        "agent_first_contact_resolutions",
        "counter",
        AGENT,
        "First-contact resolutions, credited as agent_resolutions.",
    ),
    Metric(
        "agent_survey_responses",
        "counter",
        (*AGENT, "kind", "score"),
        "Survey answers, by the agent credited with the ticket's latest resolution.",
    ),
    Metric("agent_qa_reviews", "counter", AGENT, "QA scorecards, by the reviewed agent."),
    Metric(
        "agent_qa_score", "counter", AGENT, "Sum of the QA scores (0-100) of the agent's reviews."
    ),
    Metric(
        "agent_handle_seconds",
        "counter",
        AGENT,
        "Handle time (work_seconds) reported by the agent's messages and resolutions.",
    ),
)

CATALOGUE: tuple[Metric, ...] = (
    Metric("tickets_created", "counter", L, "Tickets opened."),
    Metric(
        "tickets_resolved",
        "counter",
        L,
        "Resolutions (a reopen and second resolution counts again).",
    ),
    Metric("tickets_reopened", "counter", L, "Reopens."),
    Metric(
        "first_contact_resolutions",
        "counter",
        L,
        "Resolved with at most one public agent reply, no transfer, before any reopen.",
    ),
    Metric(
        "contacts_abandoned",
        "counter",
        ("team", "channel"),
        "Contacts abandoned before a response.",
    ),
    Metric("transfers", "counter", ("from_team", "to_team"), "Hand-offs between teams."),
    Metric(
        "first_response_seconds",
        "histogram",
        L,
        "Created to first public agent message, SLA-clock time.",
        DURATION_BUCKETS,
    ),
    Metric(
        "next_reply_seconds",
        "histogram",
        L,
        "Customer message to next public agent message, SLA-clock time.",
        DURATION_BUCKETS,
    ),
    Metric(
        "resolution_seconds",
        "histogram",
        L,
        "Created to resolved, SLA-clock time.",
        DURATION_BUCKETS,
    ),
    Metric(
        "sla_outcomes",
        "counter",
        ("team", "channel", "priority", "customer_tier", "policy", "target", "outcome"),
        "SLA clock cycles by outcome (met / breached) and the matched policy's name.",
    ),
    Metric("survey_responses", "counter", ("team", "channel", "kind", "score"), "Survey answers."),
    Metric("qa_review_score", "histogram", ("team",), "QA scorecard results.", QA_BUCKETS),
    Metric("agent_work_seconds", "counter", ("team", "channel"), "Handle time reported by agents."),
    Metric(
        "open_tickets",
        "gauge",
        ("team", "priority", "customer_tier"),
        "Backlog: created, not resolved/closed/abandoned.",
    ),
    Metric(
        "unanswered_tickets", "gauge", ("team",), "Open tickets with no public agent response yet."
    ),
    Metric(
        "oldest_open_ticket_age_seconds",
        "gauge",
        ("team",),
        "Age of the oldest open ticket (wall clock live, event clock in replay).",
    ),
    Metric(
        "sla_at_risk_tickets",
        "gauge",
        ("team", "target"),
        "Running clocks past the at-risk share of their target, not yet breached.",
    ),
    Metric(
        "sla_breached_open_tickets",
        "gauge",
        ("team", "target"),
        "Running clocks already past their deadline.",
    ),
    Metric("events_processed", "counter", ("type",), "Accepted events."),
    Metric("events_rejected", "counter", ("reason",), "Rejected events."),
    Metric("event_lag_seconds", "histogram", (), "Processing time minus event time.", LAG_BUCKETS),
    # additions to the contract
    Metric(
        "complaints",
        "counter",
        ("team", "channel"),
        "Tickets created with category complaint (complaints want handling first).",
    ),
    Metric(
        "complaint_resolution_seconds",
        "histogram",
        ("team",),
        "Created to resolved for complaints, SLA-clock time.",
        DURATION_BUCKETS,
    ),
    Metric(
        "events_duplicate", "counter", (), "Events ignored because their event_id was seen before."
    ),
    Metric(
        "journal_damaged_records",
        "counter",
        (),
        "serve: damaged journal or snapshot records found at start, skipped and quarantined.",
    ),
    Metric(
        "open_tickets_by_channel",
        "gauge",
        ("team", "channel"),
        "Backlog by channel: created, not resolved/closed/abandoned.",
    ),
    Metric(
        "agents",
        "gauge",
        ("team", "status"),
        "Agents by their latest agent.status (available, busy, away, offline), or planned "
        "(the policy's staffing) for a team without agent.status.",
    ),
    Metric(
        "orphan_events",
        "gauge",
        (),
        "Events held back because their ticket's ticket.created has not arrived yet.",
    ),
    Metric(
        "team_stint_seconds",
        "histogram",
        ("team",),
        "How long each team held a ticket before handing it on or solving it, SLA-clock time.",
        DURATION_BUCKETS,
    ),
    Metric(
        "ola_outcomes",
        "counter",
        ("team", "outcome"),
        "Team stints against the policy's ola target (met / breached, breached when it passes).",
    ),
    # contact-centre figures (METRICS.md)
    Metric(
        "contacts_abandoned_short",
        "counter",
        ("team", "channel"),
        "Abandoned contacts that waited less than the policy file's short_abandon "
        "(also counted in contacts_abandoned; left out of the abandonment rate).",
    ),
    Metric(
        "oldest_unanswered_ticket_age_seconds",
        "gauge",
        ("team",),
        "Age of the oldest open ticket with no public agent response that is not paused "
        "(pending / on hold); 0 when there is none.",
    ),
    *AGENT_METRICS,
    Metric(
        "sla_next_deadline_seconds",
        "gauge",
        ("team", "target"),
        "Seconds until the nearest deadline of a running, not yet breached clock.",
    ),
    Metric(
        "sla_warning_clocks",
        "gauge",
        ("team", "target", "priority", "customer_tier"),
        "Running clocks in their warning window (at-risk share or the policy's warn_before).",
    ),
    Metric(
        "sla_breached_running_clocks",
        "gauge",
        ("team", "target", "priority", "customer_tier"),
        "Running clocks past their deadline (the ticket alerts' breaches).",
    ),
    Metric(
        "unlisted_team_events",
        "counter",
        (),
        "Events whose team is not in the policy file's teams (or beyond max_teams): "
        "counted under the team other.",
    ),
)

BY_NAME = {m.name: m for m in CATALOGUE}
