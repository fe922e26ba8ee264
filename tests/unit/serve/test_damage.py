"""A damaged journal or snapshot: serve starts, keeps every intact record, quarantines the rest.

Policy: one 24x7 policy, first_response 15m, resolution 4h. The journal holds
one batch, the clock at 09:30 on 2026-11-23 (UTC) and five events:
a created 09:00, a answered 09:05, b created 09:10, b answered 09:12, c created 09:20;
then a clock line at 09:31. c's first-response deadline is 09:35 and nothing is
breached at 09:31. The wall clock of the restart is 09:32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from streams.journal import Journal, clock_line, event_line, snapshot_line
from streams.serve.state import capture
from streams.serve.store import JournalStore
from tests.support import at, created, reply

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
EVENTS = [
    created("a", "2026-11-23 09:00"),
    reply("a", "2026-11-23 09:05"),
    created("b", "2026-11-23 09:10"),
    reply("b", "2026-11-23 09:12"),
    created("c", "2026-11-23 09:20"),
]
WALL = at("2026-11-23 09:32")


def _lines() -> list[bytes]:
    return [
        clock_line(at("2026-11-23 09:30")),
        *(event_line(orjson.dumps(raw)) for raw in EVENTS),
        clock_line(at("2026-11-23 09:31")),
    ]


def _store(directory: Path) -> tuple[JournalStore, Exporter]:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    return JournalStore(Journal(directory), engine, exporter, 60.0, lambda: WALL), exporter


def _recover(directory: Path) -> tuple[JournalStore, Exporter]:
    store, exporter = _store(directory)
    store.recover()
    store.journal.close()
    return store, exporter


def _figures(exporter: Exporter) -> dict[str, float]:
    counters = exporter.counters
    return {
        "created": sum(counters["tickets_created"].values()),
        "processed": sum(counters["events_processed"].values()),
        "breached": sum(n for k, n in counters["sla_outcomes"].items() if k[-1] == "breached"),
        "damaged": counters["journal_damaged_records"][()],
    }


def _write(directory: Path, lines: list[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "journal-000001.log").write_bytes(b"".join(lines))


def test_an_intact_journal_is_replayed_without_damage_or_quarantine(tmp_path: Path) -> None:
    _write(tmp_path, _lines())
    store, exporter = _recover(tmp_path)
    assert store.replayed == 5
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 0}
    assert not (tmp_path / "quarantine").exists()


def test_a_non_numeric_clock_line_loses_nothing_and_does_not_move_the_clock(
    tmp_path: Path,
) -> None:
    lines = _lines()
    lines[-1] = b"C 17640abc.0\n"  # an earlier version's clock line, bytes damaged
    _write(tmp_path, lines)
    store, exporter = _recover(tmp_path)
    assert store.replayed == 5
    assert store.engine.now == at("2026-11-23 09:30")  # the intact clock line, not more
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 1}


@pytest.mark.parametrize("checked", [True, False], ids=["crc", "earlier-format"])
def test_a_flipped_digit_sending_the_clock_to_2280_moves_no_clock_and_breaches_nothing(
    tmp_path: Path, checked: bool
) -> None:
    lines = _lines()
    flipped = repr(at("2026-11-23 09:31") + 8_000_000_000).encode()  # "1764..." -> "9764..."
    if checked:
        lines[-1] = lines[-1][:11] + flipped + b"\n"  # the crc no longer matches
    else:
        lines[-1] = b"C " + flipped + b"\n"  # no crc: more than a day beyond the wall clock
    _write(tmp_path, lines)
    store, exporter = _recover(tmp_path)
    assert store.engine.now == at("2026-11-23 09:30")
    # c's first response (due 09:35) and every resolution clock still running
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 1}


def test_a_clock_line_going_backwards_is_damage(tmp_path: Path) -> None:
    lines = _lines()
    lines[-1] = b"C " + repr(at("2026-11-23 08:31")).encode() + b"\n"  # 9 -> 8
    _write(tmp_path, lines)
    store, exporter = _recover(tmp_path)
    assert store.engine.now == at("2026-11-23 09:30")
    assert _figures(exporter)["damaged"] == 1


def test_bytes_damaged_mid_file_lose_only_their_event(tmp_path: Path) -> None:
    lines = _lines()
    lines[3] = lines[3].replace(b'"ticket_id":"b"', b'"ticket_id":"x"')  # b's creation
    _write(tmp_path, lines)
    store, exporter = _recover(tmp_path)
    # 4 intact events: a created + answered, c created, and b's reply (held for its
    # creation, which never comes: accepted but not processed)
    assert store.replayed == 4
    assert _figures(exporter) == {"created": 2, "processed": 3, "breached": 0, "damaged": 1}
    assert set(store.engine.tickets) == {"a", "b", "c"}


def test_the_damage_is_quarantined_compacted_away_and_counted_once(tmp_path: Path) -> None:
    lines = _lines()
    lines[2] = b"\x00" * 20 + b"\n"  # a's reply zeroed
    _write(tmp_path, lines)
    _, exporter = _recover(tmp_path)
    # without its reply, a's first response (due 09:15) is breached at the clock of 09:30
    assert _figures(exporter) == {"created": 3, "processed": 4, "breached": 1, "damaged": 1}
    [kept] = (tmp_path / "quarantine").iterdir()
    assert kept.read_bytes() == b"".join(lines)
    # the recovered state is a fresh snapshot; the damaged segment is gone from the journal
    assert sorted(p.name for p in tmp_path.glob("journal-*.log")) == ["journal-000002.log"]
    again, again_exporter = _recover(tmp_path)
    assert _figures(again_exporter) == _figures(exporter)  # restored, not counted again
    assert again.engine.now == at("2026-11-23 09:31")
    assert again.journal.damage == {}


def _compacted(tmp_path: Path) -> bytes:
    """The five events in a snapshot (segment 2 follows), the journal empty."""
    _write(tmp_path, _lines())
    store, _ = _store(tmp_path)
    store.recover()
    store.journal.compact(*capture(store.engine, store.exporter))
    store.journal.close()
    return (tmp_path / "snapshot.json").read_bytes()


def test_a_truncated_snapshot_restores_its_intact_tickets(tmp_path: Path) -> None:
    data = _compacted(tmp_path)
    lines = data.splitlines(keepends=True)
    # header, tickets a b c, the metrics, the end: cut in the middle of ticket c's line
    assert [orjson.loads(line[9:]).keys() for line in lines[1:4]] == [{"ticket"}] * 3
    (tmp_path / "snapshot.json").write_bytes(b"".join(lines[:3]) + lines[3][:40])
    store, exporter = _recover(tmp_path)
    assert set(store.engine.tickets) == {"a", "b"}
    # the counters came after the cut: lost with it
    assert _figures(exporter) == {"created": 0, "processed": 0, "breached": 0, "damaged": 1}
    assert store.engine.now == at("2026-11-23 09:31")  # the header is intact


def test_a_snapshot_of_the_wrong_shape_is_quarantined_and_the_journal_still_read(
    tmp_path: Path,
) -> None:
    _write(tmp_path, _lines())
    (tmp_path / "snapshot.json").write_bytes(b'{"segment": 1, "state": {"tickets": 3}}')
    store, exporter = _recover(tmp_path)
    assert store.replayed == 5
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 1}
    assert [p.name[:14] for p in (tmp_path / "quarantine").iterdir()] == ["snapshot.json."]


def test_a_snapshot_record_of_the_wrong_shape_is_skipped(tmp_path: Path) -> None:
    data = _compacted(tmp_path)
    lines = data.splitlines(keepends=True)
    lines[2] = snapshot_line({"ticket": {"id": "b"}})  # a checksum that matches, no ticket
    (tmp_path / "snapshot.json").write_bytes(b"".join(lines))
    store, exporter = _recover(tmp_path)
    assert set(store.engine.tickets) == {"a", "c"}
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 1}


def test_a_deleted_snapshot_is_reported_and_the_later_segments_read(tmp_path: Path) -> None:
    _compacted(tmp_path)
    (tmp_path / "snapshot.json").unlink()
    (tmp_path / "journal-000002.log").write_bytes(
        clock_line(at("2026-11-23 09:31"))
        + event_line(orjson.dumps(reply("c", "2026-11-23 09:25")))
    )
    store, exporter = _recover(tmp_path)
    assert store.replayed == 1
    # c's reply alone is held for its creation (lost with the snapshot)
    assert _figures(exporter) == {"created": 0, "processed": 0, "breached": 0, "damaged": 1}


def test_an_earlier_versions_one_document_snapshot_is_read_whole(tmp_path: Path) -> None:
    data = _compacted(tmp_path)
    header, *records = (orjson.loads(line[9:]) for line in data.splitlines())
    state: dict[str, Any] = {"clock": header["clock"], "tickets": [], "counters": {},
                             "histograms": {}}  # fmt: skip
    for record in records[:-1]:
        kind, body = next(iter(record.items()))
        if kind == "ticket":
            state["tickets"].append(body)
        else:
            state[kind + "s"][body[0]] = body[1]
    (tmp_path / "snapshot.json").write_bytes(orjson.dumps({"segment": 2, "state": state}))
    store, exporter = _recover(tmp_path)
    assert set(store.engine.tickets) == {"a", "b", "c"}
    assert _figures(exporter) == {"created": 3, "processed": 5, "breached": 0, "damaged": 0}


def test_serve_still_starts_when_the_quarantine_cannot_be_made(tmp_path: Path) -> None:
    lines = _lines()
    lines[2] = b"garbage\n"
    _write(tmp_path, lines)
    (tmp_path / "quarantine").write_bytes(b"")  # a file where the folder should be
    store, exporter = _recover(tmp_path)
    assert store.replayed == 4
    assert _figures(exporter)["damaged"] == 1
    # nothing moved, nothing compacted: the next start finds the damage again
    assert (tmp_path / "journal-000001.log").read_bytes() == b"".join(lines)
