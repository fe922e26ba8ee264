"""A history file: its non-blank lines, read with ``replay``'s bounded reader, twice."""

from __future__ import annotations

import contextlib
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from streams.core.events import Rejected, parse_ts
from streams.errors import UserError
from streams.replay import jsonl_lines


def _event(raw: bytes | dict[str, Any]) -> dict[str, Any] | None:
    try:
        event = raw if isinstance(raw, dict) else orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def ticket_of(raw: bytes | dict[str, Any]) -> str | None:
    """The ``ticket_id`` of a raw event, if it has a readable one (the engine judges the rest)."""
    event = _event(raw)
    ticket_id = event.get("ticket_id") if event is not None else None
    return ticket_id if isinstance(ticket_id, str) else None


@dataclass
class FirstRead:
    """What backfill learns from a first pass over the file."""

    lines_left: dict[int, int]  # lines per ticket, keyed by ``hash(ticket_id)``
    lines: int  # every non-blank line
    times: array[float]  # the ``ts`` of each line that has a valid one, in file order


class HistoryFile:
    """The non-blank lines of a JSONL file, read with ``replay``'s bounded reader; iterable
    again (backfill reads it twice). A file that cannot be read is a one-line error."""

    def __init__(self, path: str | Path) -> None:
        self.path = os.fspath(path)

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror}") from None

    def __iter__(self) -> Iterator[bytes]:
        with self._open() as stream:
            for line in jsonl_lines(stream):
                line = line.strip()
                if line:
                    yield line

    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror}") from None

    def first_read(self) -> FirstRead:
        """Lines per ticket, keyed by ``hash(ticket_id)`` (this process's hash: compact; two
        ids sharing a key only keep both tickets until both are done), all lines, and the
        events' times (8 bytes a line: what the progress's estimate is counted in)."""
        counts: dict[int, int] = {}
        times: array[float] = array("d")
        lines = 0
        for line in self:
            lines += 1
            event = _event(line)
            if event is None:
                continue
            ticket_id = event.get("ticket_id")
            if isinstance(ticket_id, str):
                key = hash(ticket_id)
                counts[key] = counts.get(key, 0) + 1
            with contextlib.suppress(Rejected):  # the engine rejects it; it moves no clock
                times.append(parse_ts(event.get("ts")))
        return FirstRead(counts, lines, times)


def history_lines(path: str | Path) -> HistoryFile:
    return HistoryFile(path)
