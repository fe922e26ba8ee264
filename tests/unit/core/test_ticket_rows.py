"""The flat state record (``Ticket.to_row``, the changelog's format 2) keeps what the dict
snapshot (``Ticket.to_state``, format 1) keeps, and ``Engine.load_rows`` adopts tickets as
``Engine.load`` does one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streams.core.engine import Engine
from streams.core.events import parse_ts
from streams.core.policy import DEFAULT_POLICY_SET
from streams.core.ticket import RESOLVED, Clock, Ticket
from streams.export.exporter import Exporter
from streams.simulator.contact_centre import ContactCentre
from streams.simulator.scenarios import SimConfig

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()


def slots(value: Any) -> Any:
    """A ticket or clock as plain values, slot by slot (clocks included)."""
    if isinstance(value, Ticket | Clock):
        kind = type(value)  # compiled by mypyc (deploy/build-core.sh), it has no __slots__
        names = getattr(kind, "__slots__", None) or getattr(kind, "__mypyc_attrs__", ())
        assert len(names) >= 8
        return {name: slots(getattr(value, name)) for name in names}
    if isinstance(value, list):
        return [slots(item) for item in value]
    return value


def simulated_engine() -> Engine:
    """Ten hours of the "outage" scenario, stopped mid-way: every kind of ticket."""
    config = SimConfig(seed=11, arrivals_per_hour=40.0, flat_arrivals=True, scenario="outage")
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    events = list(ContactCentre(config, START).events(START + 10 * 3600))
    held = message("LATE", "2026-03-02T12:00:00Z")  # held for a ticket.created never sent
    for event in sorted([*events, held], key=lambda e: parse_ts(e["ts"])):
        engine.ingest(orjson.dumps(event))
        engine.advance(parse_ts(event["ts"]))
    resolved = next(t for t in engine.tickets.values() if t.state == RESOLVED)
    engine.ingest(orjson.dumps(message(resolved.ticket_id, "2026-03-02T18:00:00Z")))
    return engine


def message(ticket_id: str, ts: str) -> dict[str, str]:
    return {
        "event_id": f"m-{ticket_id}",
        "type": "message.customer",
        "ticket_id": ticket_id,
        "ts": ts,
    }


def test_a_row_keeps_what_the_dict_snapshot_keeps_for_every_kind_of_ticket() -> None:
    engine = simulated_engine()
    tickets = list(engine.tickets.values())
    kinds = {t.state for t in tickets}
    assert kinds == {"open", "resolved", "closed", "abandoned", "orphan"}
    assert any(t.held for t in tickets) and any(t.since_resolved for t in tickets)
    assert any(c is not None and c.breached for t in tickets for c in t.clocks)
    assert any(t.paused for t in tickets) and any(t.transferred for t in tickets)
    assert any(t.stint is not None and t.stint.started != t.stint.since for t in tickets)
    policy = engine.policy_named
    for ticket in tickets:
        row = orjson.loads(orjson.dumps(ticket.to_row()))
        state = orjson.loads(orjson.dumps(ticket.to_state()))
        got = Ticket.from_row(ticket.ticket_id, row, policy)
        assert slots(got) == slots(Ticket.from_state(state, policy)), ticket.ticket_id
        assert got.seen == ticket.seen and got.held == ticket.held


def test_a_row_is_about_a_third_smaller_than_the_dict_snapshot() -> None:
    tickets = simulated_engine().tickets.values()
    rows = sum(len(orjson.dumps(t.to_row())) for t in tickets)
    states = sum(len(orjson.dumps(t.to_state())) for t in tickets)
    assert rows < 0.75 * states


def test_load_rows_adopts_tickets_as_load_does_one_by_one() -> None:
    source = simulated_engine()
    one, many = Exporter(), Exporter()
    one_by_one, at_once = Engine(DEFAULT_POLICY_SET, one), Engine(DEFAULT_POLICY_SET, many)
    for ticket in source.tickets.values():
        one_by_one.load(orjson.loads(orjson.dumps(ticket.to_state())))
    rows = [(t.ticket_id, orjson.loads(orjson.dumps(t.to_row()))) for t in source.tickets.values()]
    assert at_once.load_rows(rows[:100]) == 100  # in slices, as the worker's read ahead
    assert at_once.load_rows(rows[100:]) == len(rows) - 100
    assert {t: slots(x) for t, x in at_once.tickets.items()} == {
        t: slots(x) for t, x in one_by_one.tickets.items()
    }
    assert list(at_once.open) == list(one_by_one.open)
    assert at_once.held_events == one_by_one.held_events == source.held_events > 0
    assert sorted(at_once._deadlines.heap) == sorted(one_by_one._deadlines.heap)
    assert len(at_once._deadlines.heap) > 100
    assert many.counters == one.counters  # the label sets primed at 0
    # the same breaches, in the same order, when the clocks pass every deadline
    later = START + 30 * 86400
    assert at_once.advance(later) == one_by_one.advance(later) != []
    assert many.counters == one.counters


def test_a_row_loaded_again_replaces_the_ticket() -> None:
    source = simulated_engine()
    ticket = next(t for t in source.tickets.values() if t.held)
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    for _ in range(2):
        engine.load_rows([(ticket.ticket_id, ticket.to_row())])
    assert list(engine.tickets) == [ticket.ticket_id]
    assert engine.held_events == len(ticket.held or ())


@pytest.mark.parametrize("cut", [1, 23, 25])
def test_a_row_of_the_wrong_length_is_a_value_error(cut: int) -> None:
    row = [*Ticket("t").to_row(), None][:cut]
    engine = Engine(DEFAULT_POLICY_SET, Exporter())
    with pytest.raises(ValueError, match="fields"):
        Ticket.from_row("t", row, engine.policy_named)
