"""The changelog's record format: ticket states and per-partition clock records.

Every value is ``<partition>|<format>|<json>``: the input partition the record belongs to
(changelog partition = input partition, but a record read from a store has lost it), the
format version, then the JSON body. Values written before the version existed
(``<partition>|<json>``) still decode: a JSON body never starts with a digit.

* ticket records: key = ticket id, body = ``Ticket.to_row()`` (format 2: a flat list);
  format 1 wrote ``Ticket.to_state()`` (a dict, the id in it), still read (``Builder``);
* series records: key = ``SERIES_KEY + [metric, labels]`` (JSON), body = the partition's
  total of that counter (a number) or histogram (``[buckets, sum, count]``), see ``tally.py``;
* clock records: key = ``CLOCK_KEY + partition``, body = ``[latest event ts, last offset]``:
  where that partition's state resumes. A flush writes a partition's records in one go
  and its clock record last: records after a partition's last clock record are a flush
  that did not complete (the writer was killed), and ``recovery.py`` leaves them out;
* an empty value (a tombstone) is a ticket the engine forgot: compaction removes it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

FORMAT = 2  # bump when the body changes shape; decode() must keep reading older ones
ROWS = 2  # the first format whose ticket bodies are flat records (Ticket.to_row)
CLOCK_KEY = b"\x00clock:"  # + partition
SERIES_KEY = b"\x00series:"  # + JSON [metric, labels]
TOMBSTONE = None  # the value of a forgotten ticket's record


class Record(NamedTuple):
    """A decoded changelog value."""

    partition: int
    format: int
    body: Any  # ticket state (dict) or clock ([ts, offset])


def encode(partition: int, body: Any) -> bytes:
    return prefix(partition) + orjson.dumps(body)


def prefix(partition: int) -> bytes:
    """What every value of ``partition`` starts with (``encode`` = this + the JSON body)."""
    return b"%d|%d|" % (partition, FORMAT)


def encode_clock(partition: int, latest_ts: float | None, offset: int) -> tuple[bytes, bytes]:
    """(key, value) of ``partition``'s clock record."""
    return CLOCK_KEY + b"%d" % partition, encode(partition, [latest_ts, offset])


def is_clock(key: bytes) -> bool:
    return key.startswith(CLOCK_KEY)


def is_series(key: bytes) -> bool:
    return key.startswith(SERIES_KEY)


def partition_of(value: bytes) -> int:
    """The partition of a value, without decoding the body."""
    return int(value[: value.index(b"|")])


def decode(value: bytes) -> Record:
    """A changelog value back to (partition, format, body); ValueError if malformed."""
    head = value.split(b"|", 2)
    if len(head) == 3 and head[1].isdigit():  # every value written since format 1
        version = int(head[1])
        if version > FORMAT:
            raise ValueError(f"changelog format {version} is newer than this worker's {FORMAT}")
        return Record(int(head[0]), version, orjson.loads(head[2]))
    cut = value.index(b"|")  # format 0: <partition>|<json>, whose body never starts with a digit
    return Record(int(value[:cut]), 0, orjson.loads(value[cut + 1 :]))
