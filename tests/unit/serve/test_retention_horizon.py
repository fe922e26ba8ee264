"""The retention horizon: tickets are forgotten by event time, and stay forgotten.

Policy: one 24x7 policy, first_response 15m, resolution 4h. Retention one day.
2026-11-23 is a Monday; all times UTC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from streams.journal import Journal, clock_line, event_line, expire_line
from streams.serve.state import capture, restore_records
from streams.serve.store import JournalStore
from tests.support import RecordingSink, at, created, event, reply

POLICY: dict[str, Any] = {
    "policies": [
        {
            "name": "quick",
            "match": {},
            "calendar": "always",
            "targets": {"first_response": "15m", "resolution": "4h"},
        }
    ]
}
DAY = 86400.0


def _closed_ticket(engine: Engine, ticket: str) -> list[dict[str, Any]]:
    """Created 09:00, answered 09:05, resolved 09:30, closed 10:00 on 2026-11-23."""
    events = [
        created(ticket, "2026-11-23 09:00"),
        reply(ticket, "2026-11-23 09:05"),
        event("ticket.resolved", ticket, "2026-11-23 09:30"),
        event("ticket.closed", ticket, "2026-11-23 10:00"),
    ]
    for raw in events:
        assert engine.ingest(raw).reason is None
    return events


def test_expire_compares_the_last_event_time_with_the_engine_clock_and_keeps_the_horizon() -> None:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    _closed_ticket(engine, "t")
    assert engine.retention_horizon == float("-inf")  # nothing forgotten yet
    # horizon = 2026-11-24 09:59 - 1 day = 2026-11-23 09:59, before the close at 10:00
    assert engine.expire(at("2026-11-24 09:59"), retention=DAY) == []
    assert engine.retention_horizon == at("2026-11-23 09:59")
    # horizon = 2026-11-24 10:01 - 1 day = 2026-11-23 10:01, after the close: forgotten
    assert engine.expire(at("2026-11-24 10:01"), retention=DAY) == ["t"]
    assert engine.retention_horizon == at("2026-11-23 10:01")
    engine.expire(at("2026-11-24 08:00"), retention=DAY)  # an earlier sweep never lowers it
    assert engine.retention_horizon == at("2026-11-23 10:01")


def test_only_events_of_unknown_tickets_older_than_the_horizon_are_forgotten() -> None:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    _closed_ticket(engine, "gone")
    assert engine.ingest(created("open", "2026-11-20 09:00")).reason is None  # open: kept
    engine.expire(at("2026-11-24 10:01"), retention=DAY)  # horizon 2026-11-23 10:01
    assert engine.ingest(created("gone", "2026-11-23 09:00")).reason == "no_ticket"  # re-sent
    assert engine.ingest(created("never", "2026-11-23 10:00")).reason == "no_ticket"  # before
    assert engine.ingest(created("later", "2026-11-23 10:02")).reason is None  # after it
    assert engine.ingest(reply("open", "2026-11-20 09:10")).reason is None  # in memory


def _write_journal(directory: Path, lines: list[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "journal-000001.log").write_bytes(b"".join(lines))


def _line(raw: dict[str, Any]) -> bytes:
    return event_line(orjson.dumps(raw))


def test_serve_rejects_a_resent_forgotten_ticket_no_ticket_instead_of_counting_it_again(
    tmp_path: Path,
) -> None:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    history = _closed_ticket(Engine(parse_policy(POLICY), RecordingSink()), "gone")
    late_new = created("new", "2026-11-24 10:00")
    journal_lines = [
        clock_line(at("2026-11-23 10:00")),
        *(_line(raw) for raw in history),
        clock_line(at("2026-11-30 12:00")),
        expire_line(at("2026-11-30 12:00")),  # 7-day retention: horizon 2026-11-23 12:00
        clock_line(at("2026-11-30 12:05")),
        *(_line(raw) for raw in history),  # the helpdesk re-sends the whole history
        _line(created("old", "2026-11-20 09:00")),  # a ticket never seen, older than it
        _line(late_new),  # newer than the horizon: taken
    ]
    _write_journal(tmp_path / "data", journal_lines)
    store = JournalStore(Journal(tmp_path / "data"), engine, exporter)
    assert store.recover() == 4 + 4 + 1 + 1
    counters = exporter.counters
    # "gone" once (the original) + "new" once; the re-sent "gone" and "old" never created
    assert sum(counters["tickets_created"].values()) == 1 + 1
    assert sum(counters["tickets_resolved"].values()) == 1
    # 4 re-sent events of "gone" + 1 of "old"
    assert counters["events_rejected"][("no_ticket",)] == 4 + 1
    outcomes = {labels[-2:]: n for labels, n in counters["sla_outcomes"].items() if n}
    # the original "gone": reply after 5 min, resolved after 30 min; "new" still running
    assert outcomes == {("first_response", "met"): 1, ("resolution", "met"): 1}
    assert set(engine.tickets) == {"new"}
    assert engine.retention_horizon == at("2026-11-30 12:00") - 7 * DAY


def test_the_horizon_survives_a_snapshot(tmp_path: Path) -> None:
    engine = Engine(parse_policy(POLICY), exporter := Exporter())
    engine.expire(at("2026-11-30 12:00"))  # default retention 7 days
    journal = Journal(tmp_path)
    journal.open(0)
    journal.compact(*capture(engine, exporter))
    journal.close()
    fresh = Engine(parse_policy(POLICY), fresh_exporter := Exporter())
    restore_records(Journal(tmp_path).snapshot_records(), fresh, fresh_exporter)
    assert fresh.retention_horizon == at("2026-11-23 12:00")  # 30 Nov 12:00 - 7 days
