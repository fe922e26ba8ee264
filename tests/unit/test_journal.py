from __future__ import annotations

import os
from pathlib import Path

import pytest

from streams.journal import (
    DataDirInUse,
    Journal,
    clock_line,
    event_line,
    expire_line,
    snapshot_line,
)


def test_written_lines_are_replayed_and_a_torn_tail_is_cut_off(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open(0)
    journal.write(clock_line(12.5) + event_line(b'{"a":1}'))
    journal.close()
    segment = tmp_path / "journal-000001.log"
    written = segment.read_bytes()
    with open(segment, "ab") as out:
        out.write(b'e 00000000 {"torn"')  # a crash in the middle of an unacknowledged write
    again = Journal(tmp_path)
    assert list(again.replay(0)) == [(b"C", b"12.5"), (b"E", b'{"a":1}')]
    assert again.damage == {}  # a torn last line is no damage: it was never acknowledged
    again.open(0)
    assert segment.read_bytes() == written
    again.close()


def test_each_line_carries_its_tag_and_a_crc32_of_tag_and_payload(tmp_path: Path) -> None:
    # zlib.crc32(b"c12.5") = 0x2a7c99b5, computed by hand with Python once
    assert clock_line(12.5) == b"c 2a7c99b5 12.5\n"
    assert event_line(b"{}").startswith(b"e ") and event_line(b"{}").endswith(b" {}\n")
    assert expire_line(1.0)[:2] == b"x "


def test_a_journal_of_the_earlier_format_without_checksums_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "journal-000001.log").write_bytes(b'C 12.5\nE {"a":1}\nX 13.0\n')
    assert list(Journal(tmp_path).replay(0)) == [
        (b"C", b"12.5"),
        (b"E", b'{"a":1}'),
        (b"X", b"13.0"),
    ]


def test_compaction_leaves_a_snapshot_and_only_the_new_segment(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=10)
    journal.open(0)
    journal.write(event_line(b'{"a":1}'))
    assert journal.due()
    journal.compact({"clock": 5.0}, [snapshot_line({"ticket": {"id": "t"}})])
    journal.write(event_line(b'{"b":2}'))
    journal.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal-000002.log", "snapshot.json"]
    reopened = Journal(tmp_path)
    assert list(reopened.snapshot_records()) == [
        {"clock": 5.0, "format": 2, "segment": 2},
        {"ticket": {"id": "t"}},
    ]
    assert list(reopened.replay(2)) == [(b"E", b'{"b":2}')]
    assert reopened.damage == {}


def test_a_failed_compaction_leaves_no_tmp_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open(0)
    (tmp_path / "snapshot.json").mkdir()  # os.replace onto a directory fails
    with pytest.raises(OSError):
        journal.compact({}, [])
    assert not (tmp_path / "snapshot.json.tmp").exists()
    journal.close()


def _segment(tmp_path: Path, *lines: bytes) -> Journal:
    (tmp_path / "journal-000001.log").write_bytes(b"".join(lines))
    return Journal(tmp_path)


def test_a_line_with_a_damaged_byte_is_skipped_and_counted(tmp_path: Path) -> None:
    good = event_line(b'{"n":1}')
    bad = event_line(b'{"n":2}').replace(b'"n":2', b'"n":7')  # a byte changed after the crc
    journal = _segment(tmp_path, clock_line(10.0), good, bad, event_line(b'{"n":3}'))
    assert [p for _, p in journal.replay(0)] == [b"10.0", b'{"n":1}', b'{"n":3}']
    assert journal.damage == {"journal-000001.log": 1}


def test_a_non_numeric_clock_line_is_skipped_and_the_clock_stays(tmp_path: Path) -> None:
    journal = _segment(tmp_path, clock_line(10.0), b"C ten\n", b"c 00000000 11.0\n")
    assert list(journal.replay(0)) == [(b"C", b"10.0")]
    assert journal.damage == {"journal-000001.log": 2}  # not a number; crc does not match


def test_an_unchecked_clock_going_back_or_beyond_the_ceiling_is_damage(tmp_path: Path) -> None:
    # an earlier version's journal (no checksums) with a flipped digit each way
    journal = _segment(tmp_path, b"C 1000.0\n", b"C 900.0\n", b"C 9000.0\n", b"C 1100.0\n")
    assert list(journal.replay(0, ceiling=2000.0)) == [(b"C", b"1000.0"), (b"C", b"1100.0")]
    assert journal.damage == {"journal-000001.log": 2}
    # the clock the snapshot reached is the floor
    assert list(Journal(tmp_path).replay(0, clock=1050.0, ceiling=2000.0)) == [(b"C", b"1100.0")]


def test_a_torn_line_inside_an_earlier_segment_and_foreign_bytes_are_damage(
    tmp_path: Path,
) -> None:
    (tmp_path / "journal-000001.log").write_bytes(event_line(b"1") + b"e 12")  # no newline
    (tmp_path / "journal-000002.log").write_bytes(b"\x00\x00\x00\n" + event_line(b"2"))
    journal = Journal(tmp_path)
    assert [p for _, p in journal.replay(0)] == [b"1", b"2"]
    assert journal.damage == {"journal-000001.log": 1, "journal-000002.log": 1}


def _snapshot(tmp_path: Path, records: int) -> bytes:
    journal = Journal(tmp_path)
    journal.open(0)
    journal.compact({"clock": 1.0}, [snapshot_line({"ticket": n}) for n in range(records)])
    journal.close()
    return (tmp_path / "snapshot.json").read_bytes()


def test_a_truncated_snapshot_yields_its_intact_records_and_counts_one(tmp_path: Path) -> None:
    data = _snapshot(tmp_path, 3)
    (tmp_path / "snapshot.json").write_bytes(data[: data.index(b'{"ticket":2}') + 5])
    journal = Journal(tmp_path)
    assert list(journal.snapshot_records()) == [
        {"clock": 1.0, "format": 2, "segment": 2},
        {"ticket": 0},
        {"ticket": 1},
    ]
    assert journal.damage == {"snapshot.json": 1}


def test_a_snapshot_cut_at_a_line_end_lacks_its_end_record(tmp_path: Path) -> None:
    data = _snapshot(tmp_path, 3)
    (tmp_path / "snapshot.json").write_bytes(data[: data.index(b'{"ticket":2}') - 9])
    journal = Journal(tmp_path)
    assert len(list(journal.snapshot_records())) == 1 + 2
    assert journal.damage == {"snapshot.json": 1}


def test_a_snapshot_that_is_no_snapshot_gives_no_segment_and_counts_one(tmp_path: Path) -> None:
    (tmp_path / "snapshot.json").write_bytes(b"[1, 2, 3]")
    journal = Journal(tmp_path)
    assert list(journal.snapshot_records()) == [{"segment": 0}]
    assert journal.damage == {"snapshot.json": 1}


def test_a_missing_snapshot_after_a_compaction_is_damage(tmp_path: Path) -> None:
    (tmp_path / "journal-000003.log").write_bytes(event_line(b"{}"))
    journal = Journal(tmp_path)
    assert list(journal.snapshot_records()) == [{"segment": 0}]
    assert journal.damage == {"snapshot.json": 1}
    assert journal.first_segment() == 3


def test_the_quarantine_keeps_a_copy_of_each_damaged_file(tmp_path: Path) -> None:
    journal = _segment(tmp_path, b"garbage\n", event_line(b"1"))
    list(journal.replay(0))
    folder = journal.quarantine()
    assert folder == tmp_path / "quarantine"
    [copy] = folder.iterdir()
    assert copy.name.startswith("journal-000001.log.")
    assert copy.read_bytes() == b"garbage\n" + event_line(b"1")


def test_a_second_lock_on_the_directory_names_the_holder(tmp_path: Path) -> None:
    first = Journal(tmp_path)
    first.lock()
    with pytest.raises(DataDirInUse, match=f"in use by process {os.getpid()} "):
        Journal(tmp_path).lock()
    first.close()  # releases it
    second = Journal(tmp_path)
    second.lock()
    second.close()
