"""Per-agent figures: credit across a transfer and a reopen, fallbacks, the roster and the cap.

Policy: one 24x7 policy with a 1 h first-response target, so SLA-clock time is wall time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from streams.core.agents import AgentRoster
from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.simulator import ContactCentre, SimConfig
from tests.support import RecordingSink, at, created, event, reply

POLICY: dict[str, Any] = {
    "policies": [{"name": "all", "calendar": "always", "targets": {"first_response": "1h"}}]
}


def run(*events: dict[str, Any], **policy: Any) -> tuple[Engine, RecordingSink]:
    sink = RecordingSink()
    engine = Engine(parse_policy({**POLICY, **policy}), sink)
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw
    return engine, sink


def series(sink: RecordingSink, metric: str) -> dict[tuple[str, ...], float]:
    return {labels: n for (name, labels), n in sink.counts.items() if name == metric and n}


def test_credit_follows_the_agents_across_a_transfer_and_a_reopen() -> None:
    _, sink = run(
        created("t", "2026-11-23 09:00", channel="chat"),
        event("ticket.assigned", "t", "2026-11-23 09:01", agent_id="a1"),
        reply("t", "2026-11-23 09:03", agent_id="a1", work_seconds=120),  # first response: 180 s
        reply("t", "2026-11-23 09:05", agent_id="a9", public=False, work_seconds=30),  # a note
        event(
            "ticket.transferred", "t", "2026-11-23 09:10", from_team="billing", to_team="technical"
        ),
        reply("t", "2026-11-23 09:12", agent_id="a2", work_seconds=60),
        # no agent_id, nobody assigned since the hand-off: the last public replier, a2
        event("ticket.resolved", "t", "2026-11-23 09:20", work_seconds=40),
        event("ticket.reopened", "t", "2026-11-23 09:30"),
        event("ticket.assigned", "t", "2026-11-23 09:31", agent_id="a3"),
        event("ticket.resolved", "t", "2026-11-23 09:40", agent_id="a4"),  # a4 named: a4
        event("survey.response", "t", "2026-11-23 09:50", kind="csat", score=5),  # latest: a4
        event("qa.review", "t", "2026-11-23 09:55", agent_id="a1", score=80),
        event("qa.review", "t", "2026-11-23 09:56", agent_id="a2", score=90),
        event("ticket.closed", "t", "2026-11-23 10:00"),
    )
    assert series(sink, "agent_first_responses") == {("billing", "a1"): 1}
    assert series(sink, "agent_first_response_seconds") == {("billing", "a1"): 180}
    # handle time: a1's reply, a9's note (billing); a2's reply 60 + the resolution's 40
    assert series(sink, "agent_handle_seconds") == {
        ("billing", "a1"): 120,
        ("billing", "a9"): 30,
        ("technical", "a2"): 100,
    }
    # a reopen and a second resolution count again, each for its own agent
    assert series(sink, "agent_resolutions") == {("technical", "a2"): 1, ("technical", "a4"): 1}
    assert series(sink, "agent_first_contact_resolutions") == {}  # transferred
    assert series(sink, "agent_survey_responses") == {("technical", "a4", "csat", "5"): 1}
    # a review counts under the ticket's team at the time (the contract's rule for labels)
    assert series(sink, "agent_qa_reviews") == {("technical", "a1"): 1, ("technical", "a2"): 1}
    assert series(sink, "agent_qa_score") == {("technical", "a1"): 80, ("technical", "a2"): 90}


def test_a_resolution_without_agent_id_goes_to_the_assigned_agent_before_the_replier() -> None:
    _, sink = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.assigned", "t", "2026-11-23 09:01", agent_id="a6"),
        reply("t", "2026-11-23 09:02", agent_id="a5"),
        event("ticket.resolved", "t", "2026-11-23 09:03"),
        event("survey.response", "t", "2026-11-23 09:04", kind="nps", score=10),
    )
    assert series(sink, "agent_resolutions") == {("billing", "a6"): 1}
    assert series(sink, "agent_first_contact_resolutions") == {("billing", "a6"): 1}
    assert series(sink, "agent_first_responses") == {("billing", "a5"): 1}
    assert series(sink, "agent_survey_responses") == {("billing", "a6", "nps", "10"): 1}


def test_with_no_agent_at_all_the_credit_goes_to_none() -> None:
    _, sink = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.resolved", "t", "2026-11-23 09:03"),  # no reply: still first contact
        event("survey.response", "t", "2026-11-23 09:04", kind="ces", score=2),
    )
    assert series(sink, "agent_resolutions") == {("billing", "none"): 1}
    assert series(sink, "agent_first_contact_resolutions") == {("billing", "none"): 1}
    assert series(sink, "agent_survey_responses") == {("billing", "none", "ces", "2"): 1}


def test_the_cap_keeps_the_first_agents_seen_and_counts_the_rest_as_other() -> None:
    roster = AgentRoster(None, cap=2)
    assert [roster.label(a) for a in ("a1", "", "a2", "a3", "a1", "a4", "a2")] == [
        "a1",
        "none",  # no agent: not one of the kept two
        "a2",
        "other",
        "a1",
        "other",
        "a2",
    ]
    _, sink = run(
        *(created(f"t{i}", "2026-11-23 09:00") for i in range(4)),
        *(reply(f"t{i}", "2026-11-23 09:01", agent_id=f"a{i}") for i in range(4)),
        reply("t0", "2026-11-23 09:02", agent_id="a0", work_seconds=10),
        max_agents=2,
    )
    assert series(sink, "agent_first_responses") == {
        ("billing", "a0"): 1,
        ("billing", "a1"): 1,
        ("billing", "other"): 2,
    }
    assert series(sink, "agent_handle_seconds") == {("billing", "a0"): 10}


def test_a_roster_keeps_only_its_agents() -> None:
    _, sink = run(
        created("t", "2026-11-23 09:00"),
        created("u", "2026-11-23 09:00"),
        reply("t", "2026-11-23 09:01", agent_id="zed"),  # first seen, but not listed
        reply("u", "2026-11-23 09:02", agent_id="a-17"),
        agents=["a-17", "a-18"],
    )
    assert series(sink, "agent_first_responses") == {
        ("billing", "other"): 1,
        ("billing", "a-17"): 1,
    }


def test_default_cap_is_200_agents() -> None:
    roster = AgentRoster(parse_policy(POLICY).agents, parse_policy(POLICY).max_agents)
    labels = [roster.label(f"agent-{i}") for i in range(201)]
    assert labels[199] == "agent-199" and labels[200] == "other"


def test_a_ticket_loaded_from_a_snapshot_keeps_its_agents() -> None:
    engine, _ = run(
        created("t", "2026-11-23 09:00"),
        event("ticket.assigned", "t", "2026-11-23 09:01", agent_id="a1"),
        reply("t", "2026-11-23 09:02", agent_id="a2"),
    )
    state = engine.tickets["t"].to_state()
    again = Engine(parse_policy(POLICY), sink := RecordingSink())
    again.load(state)
    again.advance(at("2026-11-23 09:03"))
    assert again.ingest(event("ticket.resolved", "t", "2026-11-23 09:03")).reason is None
    assert series(sink, "agent_resolutions") == {("billing", "a1"): 1}
    old = {k: v for k, v in state.items() if k != "g"}  # a snapshot from before agents
    assert Engine(parse_policy(POLICY), RecordingSink()).load(old).assignee == ""


def test_per_agent_counts_add_up_to_the_team_figures_on_a_simulated_day() -> None:
    start = at("2026-11-23 00:00")
    events = list(
        ContactCentre(SimConfig(seed=3, arrivals_per_hour=200.0), start).events(start + 86400)
    )
    sink = RecordingSink()
    engine = Engine(parse_policy(POLICY), sink)
    for raw in events:
        engine.ingest(raw, event_clock=True)

    def by_team(metric: str) -> dict[tuple[str, ...], float]:
        result: dict[tuple[str, ...], float] = defaultdict(float)
        for labels, n in series(sink, metric).items():
            result[labels[:1]] += n
        return dict(result)

    first: dict[tuple[str, ...], float] = defaultdict(float)
    for labels, _ in sink.observed("first_response_seconds"):
        first[(labels[0],)] += 1
    assert sum(first.values()) > 100
    assert by_team("agent_first_responses") == first
    assert by_team("tickets_resolved") == by_team("agent_resolutions")
    assert by_team("first_contact_resolutions") == by_team("agent_first_contact_resolutions")
    work, handle = by_team("agent_work_seconds"), by_team("agent_handle_seconds")
    assert work.keys() == handle.keys()
    assert all(abs(work[team] - handle[team]) < 1e-6 for team in work)  # float sums
    surveys: dict[tuple[str, ...], float] = defaultdict(float)
    for (team, _, kind, score), n in series(sink, "survey_responses").items():
        surveys[(team, kind, score)] += n
    agent_surveys: dict[tuple[str, ...], float] = defaultdict(float)
    for (team, _, kind, score), n in series(sink, "agent_survey_responses").items():
        agent_surveys[(team, kind, score)] += n
    assert agent_surveys == surveys
