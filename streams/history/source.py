"""A history file: its non-blank lines, read with ``replay``'s bounded reader, twice."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from streams.errors import UserError
from streams.replay import jsonl_lines


def ticket_of(raw: bytes | dict[str, Any]) -> str | None:
    """The ``ticket_id`` of a raw event, if it has a readable one (the engine judges the rest)."""
    try:
        event = raw if isinstance(raw, dict) else orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    ticket_id = event.get("ticket_id") if isinstance(event, dict) else None
    return ticket_id if isinstance(ticket_id, str) else None


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

    def ticket_lines(self) -> tuple[dict[int, int], int]:
        """Lines per ticket, keyed by ``hash(ticket_id)`` (this process's hash: compact; two
        ids sharing a key only keep both tickets until both are done), and all lines."""
        counts: dict[int, int] = {}
        lines = 0
        for line in self:
            lines += 1
            ticket_id = ticket_of(line)
            if ticket_id is not None:
                key = hash(ticket_id)
                counts[key] = counts.get(key, 0) + 1
        return counts, lines


def history_lines(path: str | Path) -> HistoryFile:
    return HistoryFile(path)
