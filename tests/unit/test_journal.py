from __future__ import annotations

from pathlib import Path

from streams.journal import Journal, clock_line, event_line


def test_written_lines_are_replayed_and_a_torn_tail_is_cut_off(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open(0)
    journal.write(clock_line(12.5) + event_line(b'{"a":1}'))
    journal.close()
    segment = tmp_path / "journal-000001.log"
    with open(segment, "ab") as out:
        out.write(b'E {"torn"')  # a crash in the middle of an unacknowledged write
    again = Journal(tmp_path)
    assert list(again.replay(0)) == [(b"C", b"12.5"), (b"E", b'{"a":1}')]
    again.open(0)
    assert segment.read_bytes() == b'C 12.5\nE {"a":1}\n'


def test_compaction_leaves_a_snapshot_and_only_the_new_segment(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=10)
    journal.open(0)
    journal.write(event_line(b'{"a":1}'))
    assert journal.due()
    journal.compact({"tickets": ["state"]})
    journal.write(event_line(b'{"b":2}'))
    journal.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal-000002.log", "snapshot.json"]
    reopened = Journal(tmp_path)
    first, state = reopened.read_snapshot()
    assert (first, state) == (2, {"tickets": ["state"]})
    assert list(reopened.replay(first)) == [(b"E", b'{"b":2}')]
