"""The per-event path's faster forms give what the plain forms gave."""

from __future__ import annotations

import ast
import random
from collections import OrderedDict
from hashlib import blake2b
from operator import attrgetter
from pathlib import Path
from typing import Any

from streams import core
from streams.core.deadlines import DeadlineQueue
from streams.core.engine import Engine, event_digest
from streams.core.policy import DEFAULT_POLICY_SET, NO_POLICY, Policy
from streams.core.ticket import MAX_SEEN_IDS, Clock, Ticket
from streams.core.transaction import (
    CLOCK_FIELDS,
    INC,
    LABELLED,
    OBSERVE,
    TICKET_FIELDS,
    FactBuffer,
    HistogramSeries,
    SeriesTables,
    restore,
    snapshot,
)
from tests.support import RecordingSink, created, event


def test_a_digest_is_seen_only_at_a_digest_boundary() -> None:
    ticket = Ticket("t")
    ticket.remember(b"ABCDEFGH")
    ticket.remember(b"IJKLMNOP")
    assert ticket.has_seen(b"ABCDEFGH") and ticket.has_seen(b"IJKLMNOP")
    assert not ticket.has_seen(b"EFGHIJKL")  # the bytes are there, straddling two digests
    ticket.remember(b"CDCDCDCD")
    ticket.remember(b"CDCDCDAB")
    assert not ticket.has_seen(b"CDCDABCD")
    assert ticket.remembered == 4


def test_the_window_forgets_the_oldest_like_an_ordered_set() -> None:
    rng = random.Random(26)
    ticket = Ticket("t")
    model: OrderedDict[bytes, None] = OrderedDict()
    for _ in range(MAX_SEEN_IDS + 300):
        digest = rng.randbytes(8)
        ticket.remember(digest)
        model[digest] = None
        if len(model) > MAX_SEEN_IDS:
            model.popitem(last=False)
    assert ticket.seen == b"".join(model)
    assert all(ticket.has_seen(digest) for digest in list(model)[:50])


def test_a_state_record_keeps_whole_digests_once() -> None:
    ticket = Ticket("t")
    for digest in (b"11111111", b"22222222"):
        ticket.remember(digest)
    state = ticket.to_state()
    assert state["e"] == b"1111111122222222".hex()
    state["e"] = (b"11111111" + b"22222222" + b"11111111" + b"333").hex()
    loaded = Ticket.from_state(state, lambda _: DEFAULT_POLICY_SET.policies[0])
    assert loaded.seen == b"1111111122222222"


def test_a_repeated_event_is_a_duplicate_after_many_others() -> None:
    engine = Engine(DEFAULT_POLICY_SET, sink := RecordingSink())
    engine.ingest(created("t", "2026-11-23 09:00", event_id="c"))
    for i in range(20):
        engine.ingest(event("message.customer", "t", "2026-11-23 09:01", event_id=f"m{i}"))
    engine.ingest(event("message.customer", "t", "2026-11-23 09:02", event_id="m3"))
    assert sink.count("events_duplicate") == 1
    assert engine.tickets["t"].has_seen(event_digest("m3"))


def test_an_event_id_digest_is_blake2b_64_as_state_records_keep_it() -> None:
    # the state record's "e" field holds these digests: the function must not change them
    for event_id in ("m3", "e-1", "é" * 40, ""):
        assert event_digest(event_id) == blake2b(event_id.encode(), digest_size=8).digest()
    assert event_digest("m3") != event_digest("m4")
    engine = Engine(DEFAULT_POLICY_SET, RecordingSink())
    engine.ingest(created("t", "2026-11-23 09:00", event_id="c"))
    assert engine.tickets["t"].seen == blake2b(b"c", digest_size=8).digest()


def slots_of(name: str) -> list[str]:
    """A class's ``__slots__`` as written in ticket.py (a compiled class has no ``__slots__``)."""
    tree = ast.parse((Path(core.__file__).parent / "ticket.py").read_text())  # not compiled
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            for item in node.body:
                if isinstance(item, ast.Assign) and ast.unparse(item.targets[0]) == "__slots__":
                    return sorted(ast.literal_eval(item.value))
    raise AssertionError(f"no __slots__ in class {name}")


def test_the_snapshot_covers_every_field_but_those_apply_changes_outside_it() -> None:
    # seen and held change only after a transaction, ticket_id never
    assert sorted((*TICKET_FIELDS, "held", "seen", "ticket_id")) == slots_of("Ticket")
    assert sorted(CLOCK_FIELDS) == slots_of("Clock")


def changed(value: Any) -> Any:
    """Another value of the same type (a compiled core checks attribute types)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float | str):
        return value + type(value)(1) if not isinstance(value, str) else value + "!"
    if value is None:
        return None
    if isinstance(value, Clock):
        return Clock(1.0, 1.0)
    if isinstance(value, Policy):
        return DEFAULT_POLICY_SET.policies[0] if value is NO_POLICY else NO_POLICY
    raise AssertionError(f"no other value for {value!r}")


def test_restore_puts_back_every_field_and_clock() -> None:
    ticket = Ticket("t")
    first = Clock(60.0, 1.0)
    ticket.response_clock, ticket.resolution_clock = first, Clock(600.0, 1.0)
    before = attrgetter(*TICKET_FIELDS)(ticket)
    clock_before = attrgetter(*CLOCK_FIELDS)(first)
    saved = snapshot(ticket)
    for name in TICKET_FIELDS:
        setattr(ticket, name, changed(getattr(ticket, name)))
    ticket.stint, ticket.since_resolved = Clock(5.0, 3.0), [(1.0, True)]  # were None
    ticket.reply_clock = Clock(5.0, 2.0)  # was None
    assert all(
        getattr(ticket, name) != value for name, value in zip(TICKET_FIELDS, before, strict=True)
    )
    first.elapsed, first.running, first.deadline = 30.0, True, 99.0
    restore(ticket, saved)
    assert attrgetter(*TICKET_FIELDS)(ticket) == before
    assert attrgetter(*CLOCK_FIELDS)(first) == clock_before
    assert ticket.clocks == (first, None, before[TICKET_FIELDS.index("resolution_clock")])


def test_the_buffer_hands_a_plain_sink_every_fact_in_order() -> None:
    sink = RecordingSink()
    buffer = FactBuffer(sink)
    buffer.inc("tickets_created", ("a",))
    buffer.observe("first_response_seconds", ("a",), 3.0)
    buffer.labelled(("a", "b"), ("first_response",))
    buffer.inc("agent_work_seconds", ("a",), 2.5)
    assert [fact[0] for fact in buffer.facts] == [INC, OBSERVE, LABELLED, INC]
    buffer.commit()
    assert buffer.facts == []
    assert sink.count("tickets_created", ("a",)) == 1
    assert sink.count("agent_work_seconds", ("a",)) == 2.5
    assert sink.observed("first_response_seconds") == [(("a",), 3.0)]
    assert sink.labels == [(("a", "b"), ("first_response",))]


def test_a_sink_offering_its_series_tables_has_the_facts_added_to_them_in_the_core() -> None:
    counters: dict[str, dict[tuple[str, ...], float]] = {
        "agent_work_seconds": {("a",): 1.0},
        "sla_outcomes": {},
        "contacts_abandoned": {},
        "contacts_abandoned_short": {("a", "b"): 2.0},
    }
    histograms: dict[str, dict[tuple[str, ...], HistogramSeries]] = {"first_response_seconds": {}}
    bounds = {"first_response_seconds": (10.0, 60.0)}
    primed: set[tuple[str, ...]] = set()

    class Sink:  # no inc/observe/labelled: the facts can only arrive through the tables
        fact_tables = SeriesTables(counters, histograms, bounds, primed)

    buffer = FactBuffer(Sink())
    buffer.inc("agent_work_seconds", ("a",), 2.5)
    buffer.observe("first_response_seconds", ("a",), 10.0)  # le is inclusive: bucket 10
    buffer.observe("first_response_seconds", ("a",), 61.0)  # beyond 60: +Inf
    buffer.labelled(("a", "b"), ("first_response",))
    buffer.commit()
    assert buffer.facts == []
    assert counters["agent_work_seconds"] == {("a",): 3.5}  # 1.0 + 2.5
    histogram = histograms["first_response_seconds"][("a",)]
    assert (histogram.buckets, histogram.sum, histogram.count) == ([1, 0, 1], 71.0, 2)
    # the label set's outcome series and its team's abandon counters exposed at 0, once
    assert primed == {("a", "b")}
    assert counters["sla_outcomes"] == {
        ("a", "b", "first_response", "met"): 0.0,
        ("a", "b", "first_response", "breached"): 0.0,
    }
    assert counters["contacts_abandoned"] == {("a", "b"): 0.0}
    assert counters["contacts_abandoned_short"] == {("a", "b"): 2.0}  # a count is kept
    counters["sla_outcomes"][("a", "b", "first_response", "met")] = 4.0
    buffer.labelled(("a", "b"), ("first_response",))  # primed already: nothing changes
    buffer.commit()
    assert counters["sla_outcomes"][("a", "b", "first_response", "met")] == 4.0


def test_a_deadline_entry_is_live_only_while_its_clock_runs_to_that_deadline() -> None:
    ticket = Ticket("t")
    clock = ticket.response_clock = Clock(60.0, 0.0)
    clock.running, clock.deadline = True, 60.0
    open_tickets = {"t": ticket}
    queue = DeadlineQueue(open_tickets)
    assert queue.is_live((60.0, "t", 0))
    assert not queue.is_live((50.0, "t", 0))  # the clock moved since: a stale entry
    assert not queue.is_live((60.0, "t", 1))  # no next-reply clock
    assert not queue.is_live((60.0, "t", 3))  # no stint
    clock.breached = "billing"
    assert not queue.is_live((60.0, "t", 0))  # counted already
    clock.breached = ""
    del open_tickets["t"]  # the engine's own dict: a ticket no longer open
    assert not queue.is_live((60.0, "t", 0))


def test_take_answers_what_ingest_answers_and_changes_the_same() -> None:
    raws: list[Any] = [
        created("t", "2026-11-23 09:00", event_id="c"),
        event("message.customer", "t", "2026-11-23 09:01", event_id="m"),
        event("message.customer", "t", "2026-11-23 09:01", event_id="m"),  # a duplicate
        created("t", "2026-11-23 09:02", event_id="c2"),  # invalid_state
        b'{"type": "ticket.closed"}',  # missing_field
        b"{",  # invalid_json
        event("ticket.resolved", "t", "2026-11-23 09:03", event_id="r"),
    ]
    by_ingest, by_take = RecordingSink(), RecordingSink()
    ingesting, taking = Engine(DEFAULT_POLICY_SET, by_ingest), Engine(DEFAULT_POLICY_SET, by_take)
    reasons = [ingesting.ingest(raw, event_clock=True).reason for raw in raws]
    assert reasons == [None, None, None, "invalid_state", "missing_field", "invalid_json", None]
    assert [taking.take(raw, True) for raw in raws] == reasons
    assert by_take.count("events_duplicate") == by_ingest.count("events_duplicate") == 1
    assert taking.now == ingesting.now
