"""``serve``'s journal: what was acknowledged, on disk, in order, and its compaction.

The data directory holds numbered segments ``journal-000001.log`` and at most
one ``snapshot.json``. A segment is a sequence of lines, each a tag and a
payload:

* ``E <json>``: an event (or a bad element, to be counted again) as received;
* ``C <seconds>``: the engine time (the wall clock minus ``--grace``) the engine was
  advanced to before the next events;
* ``X <seconds>``: the engine forgot long-finished tickets at that engine time.

``write`` appends one batch and fsyncs before returning (``serve`` answers
``200`` only after it); a failed write is cut off again so no half batch stays.
``compact`` writes a snapshot (tmp file, fsync, rename) that covers every
segment before a fresh one, then deletes those segments: a restart reads the
snapshot and at most ``segment_bytes`` of journal, however long it has run.
A torn last line (a crash during a write that was never acknowledged) is
ignored on reading and cut off before appending.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

SEGMENT = re.compile(r"^journal-(\d{6,})\.log$")
SNAPSHOT = "snapshot.json"


class Journal:
    def __init__(self, directory: str | Path, segment_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        self.segment = 0
        self.size = 0

    # ---- reading at start ------------------------------------------------------------------

    def _segments(self) -> list[int]:
        numbers = []
        for path in self.directory.iterdir():
            match = SEGMENT.match(path.name)
            if match:
                numbers.append(int(match.group(1)))
        return sorted(numbers)

    def _path(self, number: int) -> Path:
        return self.directory / f"journal-{number:06d}.log"

    def read_snapshot(self) -> tuple[int, Any]:
        """(first segment not covered, the state) or (0, None) without a snapshot."""
        path = self.directory / SNAPSHOT
        if not path.exists():
            return 0, None
        document = orjson.loads(path.read_bytes())
        return int(document["segment"]), document["state"]

    def replay(self, first: int) -> Iterator[tuple[bytes, bytes]]:
        """Every complete (tag, payload) line of the segments from ``first`` on, in order."""
        for number in self._segments():
            if number < first:
                continue
            data = self._path(number).read_bytes()
            end = data.rfind(b"\n") + 1  # a torn last line was never acknowledged
            for line in data[:end].split(b"\n"):
                if line:
                    yield line[:1], line[2:]

    def open(self, first: int) -> None:
        """Append to the last segment (at least ``first``), its torn tail cut off."""
        numbers = [n for n in self._segments() if n >= first]
        self.segment = numbers[-1] if numbers else max(first, 1)
        path = self._path(self.segment)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data_end = path.read_bytes().rfind(b"\n") + 1
        os.ftruncate(self._fd, data_end)
        self.size = data_end
        for number in self._segments():  # segments a snapshot already covers
            if number < first:
                self._path(number).unlink(missing_ok=True)

    # ---- appending ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Append complete lines and fsync; on failure cut the partial write off and raise."""
        assert self._fd is not None, "journal not open"
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise
        self.size += len(data)

    def due(self) -> bool:
        return self.size >= self.segment_bytes

    def compact(self, state: Any) -> None:
        """Snapshot ``state`` (which covers everything written so far), start a new segment."""
        assert self._fd is not None, "journal not open"
        following = self.segment + 1
        tmp = self.directory / (SNAPSHOT + ".tmp")
        with open(tmp, "wb") as out:
            out.write(orjson.dumps({"segment": following, "state": state}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.directory / SNAPSHOT)
        self._sync_directory()
        os.close(self._fd)
        self._fd = None
        self.open(following)
        self._sync_directory()

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def event_line(line: bytes) -> bytes:
    return b"E " + line + b"\n"


def clock_line(seconds: float) -> bytes:
    return b"C " + repr(seconds).encode() + b"\n"


def expire_line(seconds: float) -> bytes:
    return b"X " + repr(seconds).encode() + b"\n"
