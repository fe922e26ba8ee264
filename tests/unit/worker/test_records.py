"""The changelog record format: versioned, and older records still read."""

from __future__ import annotations

import pytest

from streams.worker import records


def test_a_ticket_record_carries_its_partition_and_the_format_version() -> None:
    value = records.encode(3, ["open", "billing"])
    assert value == b'3|2|["open","billing"]'
    assert records.decode(value) == (3, 2, ["open", "billing"])
    assert records.partition_of(value) == 3


def test_a_clock_record_is_keyed_by_its_partition() -> None:
    key, value = records.encode_clock(12, 1700000000.5, 41)
    assert key == b"\x00clock:12" and records.is_clock(key)
    assert value == b"12|2|[1700000000.5,41]"
    assert records.decode(value).body == [1700000000.5, 41]
    assert not records.is_clock(b"T1")


def test_records_written_before_the_format_version_still_decode() -> None:
    assert records.decode(b'0|{"ticket_id":"T9"}') == (0, 0, {"ticket_id": "T9"})
    assert records.decode(b'0|{"ticket_id":"T|9","n":"1|2"}') == (
        0,
        0,
        {"ticket_id": "T|9", "n": "1|2"},
    )
    assert records.decode(b"7|[null,-1]") == (7, 0, [None, -1])


def test_format_1_records_still_decode() -> None:
    """Format 1: a ticket's body was ``Ticket.to_state``'s dict (read by ``Builder``)."""
    assert records.decode(b'3|1|{"id":"T|1","s":"open"}') == (3, 1, {"id": "T|1", "s": "open"})
    assert records.decode(b"12|1|[1700000000.5,41]") == (12, 1, [1700000000.5, 41])


def test_a_record_from_a_newer_worker_is_refused_not_misread() -> None:
    with pytest.raises(ValueError, match="format 3 is newer"):
        records.decode(b"0|3|{}")


@pytest.mark.parametrize("value", [b"", b"x|1|[]", b"0|2|[", b"0|1{}", b"0"])
def test_a_malformed_record_is_a_value_error(value: bytes) -> None:
    with pytest.raises(ValueError):
        records.decode(value)
