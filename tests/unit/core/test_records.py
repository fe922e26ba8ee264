"""Ticket-level records: every outcome, stint, survey and review behind the counters."""

from __future__ import annotations

from collections import Counter
from typing import Any

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.core.records import Outcome, RecordList, Review, Stint, Survey
from streams.core.ticket import Ticket
from tests.support import RecordingSink, at, created, event, reply

POLICY: dict[str, Any] = {
    "policies": [
        {
            "name": "std",
            "match": {},
            "calendar": "always",
            "targets": {"first_response": "1h", "next_reply": "30m", "resolution": "4h"},
        }
    ],
    "ola": {"default": "1h", "teams": {"l2": "2h"}},
}


def engine_with_records(
    policy: dict[str, Any] = POLICY,
) -> tuple[Engine, RecordingSink, RecordList]:
    sink = RecordingSink()
    engine = Engine(parse_policy(policy), sink)
    engine.records = rows = RecordList()
    return engine, sink, rows


def feed(engine: Engine, *events: dict[str, Any]) -> None:
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw


def outcome(rows: RecordList, target: str, cycle: int, ticket: str = "t") -> Outcome:
    row = rows.rows[(ticket, target, cycle)]
    assert isinstance(row, Outcome)
    return row


def test_a_breach_is_recorded_when_its_deadline_passes_and_updated_when_the_reply_comes() -> None:
    engine, _, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.assigned", "t", "2026-11-23 09:05", agent_id="x"),
        reply("t", "2026-11-23 09:30", agent_id="y"),
        event("message.customer", "t", "2026-11-23 09:40"),  # next reply due 10:10
    )
    engine.advance(at("2026-11-23 10:20"))
    running = outcome(rows, "next_reply", 0)
    assert (running.outcome, running.stopped, running.late, running.agent) == (
        "breached",
        None,
        0.0,
        "x",  # nobody stopped it yet: the assignee's
    )
    assert running.deadline == at("2026-11-23 10:10")
    feed(engine, reply("t", "2026-11-23 10:25", agent_id="y"))
    final = outcome(rows, "next_reply", 0)
    # 09:40 -> 10:25 is 45 min against 30 min: 900 s late, stopped by y
    assert (final.outcome, final.stopped, final.late, final.agent) == (
        "breached",
        at("2026-11-23 10:25"),
        900.0,
        "y",
    )
    first = outcome(rows, "first_response", 0)
    # answered after 30 min against 1 h: 1,800 s early
    assert (first.outcome, first.late, first.agent, first.team, first.policy) == (
        "met",
        -1800.0,
        "y",
        "l1",
        "std",
    )
    assert first.started == at("2026-11-23 09:00")
    assert first.deadline == at("2026-11-23 10:00")


def test_a_breach_stays_with_the_team_it_was_counted_under_when_another_team_answers() -> None:
    engine, sink, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.transferred", "t", "2026-11-23 10:30", from_team="l1", to_team="l2"),
        reply("t", "2026-11-23 10:40", agent_id="y"),  # due 10:00, breached under l1
    )
    row = outcome(rows, "first_response", 0)
    assert (row.team, row.agent, row.late) == ("l1", "y", 2400.0)
    breached = [labels for (name, labels), n in sink.counts.items() if name == "sla_outcomes"]
    assert [labels[0] for labels in breached if labels[-1] == "breached"] == ["l1"]


def test_every_cycle_has_its_own_row_and_a_reopen_keeps_the_time_already_spent() -> None:
    engine, sink, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        reply("t", "2026-11-23 09:10", agent_id="y"),
        event("message.customer", "t", "2026-11-23 09:20"),
        reply("t", "2026-11-23 09:25", agent_id="y"),
        event("message.customer", "t", "2026-11-23 09:30"),
        event("ticket.resolved", "t", "2026-11-23 09:40", agent_id="z"),
        event("ticket.reopened", "t", "2026-11-23 11:00"),
        event("ticket.resolved", "t", "2026-11-23 11:30", agent_id="z"),
    )
    # next reply: cycle 0 09:20 -> 09:25 (300 s), cycle 1 09:30 -> resolved 09:40 (600 s)
    assert outcome(rows, "next_reply", 0).late == 300.0 - 1800.0
    second = outcome(rows, "next_reply", 1)
    assert (second.late, second.agent, second.started) == (-1200.0, "z", at("2026-11-23 09:30"))
    # resolution: cycle 0 took 40 min; cycle 1 starts at the reopen with those 40 min spent
    # and ends 30 min later: 70 min against 4 h
    assert outcome(rows, "resolution", 0).late == 2400.0 - 14400.0
    reopened = outcome(rows, "resolution", 1)
    assert (reopened.started, reopened.late) == (at("2026-11-23 11:00"), 4200.0 - 14400.0)
    by_outcome = Counter((r.target, r.outcome) for r in rows.of(Outcome))  # type: ignore[union-attr]
    assert by_outcome == sink.outcomes()  # one row per counted outcome, no more


def test_a_team_stint_ends_at_a_hand_off_and_the_next_team_breaches_its_ola_live() -> None:
    engine, sink, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.status", "t", "2026-11-23 09:10", status="pending"),
        event("ticket.status", "t", "2026-11-23 09:30", status="open"),
        event("ticket.transferred", "t", "2026-11-23 10:00", from_team="l1", to_team="l2"),
    )
    first = rows.rows[("t", "stint", 0)]
    assert isinstance(first, Stint)
    # l1 held it 60 min less the 20 min pause: 2,400 s against its 1 h OLA
    assert (first.team, first.seconds, first.outcome, first.ended_by) == (
        "l1",
        2400.0,
        "met",
        "transfer",
    )
    engine.advance(at("2026-11-23 12:01"))  # l2's 2 h OLA passed at 12:00
    assert sink.count("ola_outcomes", ("l2", "breached")) == 1
    held = rows.rows[("t", "stint", 1)]
    assert isinstance(held, Stint)
    assert (held.ended, held.outcome, held.seconds) == (None, "breached", 7200.0)
    feed(engine, event("ticket.resolved", "t", "2026-11-23 12:30"))
    ended = rows.rows[("t", "stint", 1)]
    assert isinstance(ended, Stint)
    assert (ended.ended, ended.ended_by, ended.seconds, ended.outcome) == (
        at("2026-11-23 12:30"),
        "resolved",
        9000.0,
        "breached",
    )
    assert sink.count("ola_outcomes") == 2  # l1 met, l2 breached once (not again at the end)
    assert sink.count("ola_outcomes", ("l1", "met")) == 1
    assert sorted(sink.observed("team_stint_seconds")) == [(("l1",), 2400.0), (("l2",), 9000.0)]


def test_a_reopen_gives_the_team_a_new_stint_and_an_abandon_ends_one_without_an_ola_outcome() -> (
    None
):
    engine, sink, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.resolved", "t", "2026-11-23 09:30"),
        event("ticket.reopened", "t", "2026-11-23 10:00"),
        event("ticket.resolved", "t", "2026-11-23 10:15"),
        created("u", "2026-11-23 10:00", team="l1", channel="phone"),
        event("contact.abandoned", "u", "2026-11-23 10:02"),
    )
    second = rows.rows[("t", "stint", 1)]
    assert isinstance(second, Stint)
    assert (second.started, second.seconds, second.outcome) == (
        at("2026-11-23 10:00"),
        900.0,
        "met",
    )
    gone = rows.rows[("u", "stint", 0)]
    assert isinstance(gone, Stint)
    assert (gone.ended_by, gone.outcome, gone.seconds) == ("abandoned", "", 120.0)
    assert sink.count("ola_outcomes") == 2  # t's two stints; u's abandon has no outcome


def test_without_an_ola_a_stint_is_measured_but_has_no_outcome() -> None:
    policy = {k: v for k, v in POLICY.items() if k != "ola"}
    engine, sink, rows = engine_with_records(policy)
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.resolved", "t", "2026-11-23 09:30"),
    )
    stint = rows.rows[("t", "stint", 0)]
    assert isinstance(stint, Stint)
    assert (stint.ola, stint.outcome, stint.seconds) == (None, "", 1800.0)
    assert sink.count("ola_outcomes") == 0
    assert sink.observed("team_stint_seconds") == [(("l1",), 1800.0)]


def test_an_abandon_after_a_breach_tells_how_late_the_breached_clock_ended() -> None:
    engine, sink, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1", channel="chat"),
        event("contact.abandoned", "t", "2026-11-23 10:30"),  # first response due 10:00
    )
    row = outcome(rows, "first_response", 0)
    assert (row.outcome, row.stopped, row.late) == ("breached", at("2026-11-23 10:30"), 1800.0)
    assert sink.outcomes() == Counter({("first_response", "breached"): 1})  # counted once


def test_surveys_and_reviews_are_recorded_with_the_credited_agent() -> None:
    engine, _, rows = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.resolved", "t", "2026-11-23 09:30", agent_id="z"),
        event("ticket.closed", "t", "2026-11-23 09:31"),
        event("survey.response", "t", "2026-11-23 10:00", kind="csat", score=2, event_id="s1"),
        event("qa.review", "t", "2026-11-23 11:00", agent_id="z", score=72.5, event_id="q1"),
    )
    survey = rows.rows[("t", "survey:s1", 0)]
    review = rows.rows[("t", "review:q1", 0)]
    assert survey == Survey("s1", "t", at("2026-11-23 10:00"), "l1", "z", "email", "csat", 2)
    assert review == Review("q1", "t", at("2026-11-23 11:00"), "l1", "z", "", 72.5)


def test_without_a_record_sink_the_engine_keeps_no_records() -> None:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    feed(
        engine, created("t", "2026-11-23 09:00"), event("ticket.resolved", "t", "2026-11-23 09:30")
    )
    assert engine._records == []


def test_a_ticket_snapshot_keeps_its_cycles_and_its_stint() -> None:
    engine, _, _ = engine_with_records()
    feed(
        engine,
        created("t", "2026-11-23 09:00", team="l1"),
        reply("t", "2026-11-23 09:10"),
        event("message.customer", "t", "2026-11-23 09:20"),
        reply("t", "2026-11-23 09:25"),
        event("message.customer", "t", "2026-11-23 09:30"),
    )
    ticket = engine.tickets["t"]
    again = Ticket.from_state(ticket.to_state(), engine.policy_named)
    assert (again.asked, again.reopens, again.stints) == (2, 0, 1)
    assert again.clocks[1] is not None and again.clocks[1].started == at("2026-11-23 09:30")
    assert again.stint is not None and again.stint.target == 3600.0


def test_a_restarted_engine_still_counts_an_ola_breach_from_the_snapshot() -> None:
    engine, _, _ = engine_with_records()
    feed(engine, created("t", "2026-11-23 09:00", team="l1"))
    restarted, sink, rows = engine_with_records()
    restarted.load(engine.tickets["t"].to_state())
    restarted.advance(at("2026-11-23 10:01"))  # l1's 1 h OLA passed at 10:00
    assert sink.count("ola_outcomes", ("l1", "breached")) == 1
    stint = rows.rows[("t", "stint", 0)]
    assert isinstance(stint, Stint) and stint.outcome == "breached"


def test_an_ola_passed_before_a_late_clock_reaches_it_is_counted_before_the_next_event() -> None:
    """A live clock may lag behind event time (the worker's grace, partitions read at
    different speeds): a pause arriving after the OLA's deadline must not hide the breach."""
    engine, sink, rows = engine_with_records()
    for raw in (
        created("t", "2026-11-23 09:00", team="l1"),
        event("ticket.status", "t", "2026-11-23 10:05", status="pending"),  # OLA due 10:00
    ):
        assert engine.ingest(raw).reason is None  # wall clock: never advanced here
    assert sink.count("ola_outcomes", ("l1", "breached")) == 1
    stint = rows.rows[("t", "stint", 0)]
    assert isinstance(stint, Stint) and (stint.outcome, stint.seconds) == ("breached", 3600.0)
