"""A worker upgraded in place restarts on the changelog its previous version wrote.

``fixtures/changelog-format1.jsonl.gz`` was written by the worker of main at e2eed63, the
last one writing changelog format 1 (a ticket's body: ``Ticket.to_state``'s dict): 1,415
simulated events (10 hours of the "outage" scenario, seed 11, plus two events held for a
``ticket.created`` and two messages to resolved tickets), three partitions keyed by ticket
as the producer does; the first ``cut`` of them went through that worker's ``State``
(``process``, then ``advance`` to the event's time), then one flush (``take_touched``).
First line: the events and the cut; then one changelog record per line (partition, key,
value as latin-1). At the cut it held 233 tickets: open, resolved, closed, abandoned
and orphans, with breached, paused and transferred clocks. ``make_changelog_format1.py``
next to it wrote it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from streams.core.events import parse_ts
from streams.worker import records
from tests.unit.worker.test_tally import (
    assert_equal,
    flattened,
    messages,
    new_state,
    reference,
    run,
    summed,
)

FIXTURE = Path(__file__).parent / "fixtures" / "changelog-format1.jsonl.gz"
Changelog = list[tuple[int, bytes, bytes | None]]


def written_by_format_1() -> tuple[list[tuple[float, bytes, str]], int, Changelog]:
    lines = gzip.decompress(FIXTURE.read_bytes()).splitlines()
    head = orjson.loads(lines[0])
    events = []
    for text in head["events"]:
        event = orjson.loads(text)
        events.append((parse_ts(event["ts"]), text.encode(), str(event["ticket_id"])))
    changelog: Changelog = []
    for line in lines[1:]:
        record = orjson.loads(line)
        value = None if record["v"] is None else record["v"].encode("latin-1")
        changelog.append((record["p"], record["k"].encode("latin-1"), value))
    return events, head["cut"], changelog


def test_the_fixture_is_a_format_1_changelog_of_every_kind_of_ticket() -> None:
    _, cut, changelog = written_by_format_1()
    bodies = [
        records.decode(value)
        for _, key, value in changelog
        if value and not records.is_clock(key) and not records.is_series(key)
    ]
    assert {record.format for record in bodies} == {1}
    assert {record.body["s"] for record in bodies} == {
        "open",
        "resolved",
        "closed",
        "abandoned",
        "orphan",
    }
    assert any(record.body["h"] for record in bodies)  # events held for a ticket.created
    assert any(record.body.get("r", [0, []])[1] for record in bodies)  # messages since resolved
    assert cut == 1031 and len(bodies) == 233


def test_the_upgraded_worker_reads_it_and_ends_with_replays_figures_and_tickets() -> None:
    events, cut, changelog = written_by_format_1()
    stream = messages(events)
    state = new_state(changelog)  # the restart after the upgrade: format 1 only
    assert state.ticket_count() == 233
    run(state, stream[cut:])  # the rest of the input, from the stored positions
    exporter, engine = reference(events)
    assert_equal(summed(state), flattened(exporter))
    assert {t: x.to_state() for t, x in state.tickets.items()} == {
        t: x.to_state() for t, x in engine.tickets.items()
    }

    # what it wrote since is format 2, on top of format 1: read back the same
    written = list(state.take_touched())
    assert {records.decode(value).format for _, _, value in written if value} == {2}
    again = new_state(changelog + written)
    assert_equal(summed(again), flattened(exporter))
    assert {t: x.to_state() for t, x in again.tickets.items()} == {
        t: x.to_state() for t, x in engine.tickets.items()
    }
