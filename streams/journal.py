"""``serve``'s journal: what was acknowledged, on disk, in order, and its compaction.

The data directory holds numbered segments ``journal-000001.log``, at most one
``snapshot.json``, the ``lock`` file and, after damage was found, ``quarantine/``.

A segment is a sequence of lines, each a tag, a CRC-32 (8 hex digits, over the
tag and the payload) and a payload:

* ``e <crc> <json>``: an event (or a bad element, to be counted again) as received;
* ``c <crc> <seconds>``: the engine time (the wall clock minus ``--grace``) the engine
  was advanced to before the next events;
* ``x <crc> <seconds>``: the engine forgot long-finished tickets at that engine time.

Journals of earlier versions (``E <json>``, ``C <seconds>``, ``X <seconds>``, no
checksum) are still read. ``replay`` yields the upper-case tag either way.

The snapshot is line-wise too, so that a restart reads it one record at a time
(its memory is the running state, not the running state plus a parsed document):
``<crc> <json>`` per line, a header ``{"format": 2, "segment": N, "clock": ..,
"horizon": ..}``, then one record per ticket and per metric, then ``{"end": n}``
with the number of records. A snapshot of an earlier version (one JSON document
``{"segment": N, "state": {...}}``) is still read, as a whole.

``write`` appends one batch and fsyncs before returning (``serve`` answers
``200`` only after it); a failed write is cut off again so no half batch stays.
``compact`` writes a snapshot (tmp file, fsync, rename) that covers every
segment before a fresh one, then deletes those segments: a restart reads the
snapshot and at most ``segment_bytes`` of journal, however long it has run.
A torn last line of the last segment (a crash during a write that was never
acknowledged) is ignored on reading and cut off before appending.

Damage (docs/deployment.md, "The data directory"): a line whose checksum does not
match, that is not a journal line at all, or a clock line that is not a finite
number, goes back before the clock already reached, or lies more than a day
beyond the wall clock of the restart, is skipped and counted in :attr:`damage`
(per file); the engine's clock never moves on it. The caller copies the damaged
files into ``quarantine/`` (:meth:`quarantine`) and compacts at once, so the
intact records are kept and the damage is reported once.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import re
import shutil
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from streams.errors import UserError

SEGMENT = re.compile(r"^journal-(\d{6,})\.log$")
SNAPSHOT = "snapshot.json"
LOCK = "lock"
QUARANTINE = "quarantine"
SNAPSHOT_FORMAT = 2
TAGS = {b"e": b"E", b"c": b"C", b"x": b"X"}  # checksummed -> the tag replay yields
LEGACY_TAGS = frozenset(TAGS.values())
CLOCK_TAGS = (b"C", b"X")


class DataDirInUse(UserError):
    """Another process holds the data directory's lock."""


def _crc(data: bytes) -> bytes:
    return b"%08x" % zlib.crc32(data)


def _record(tag: bytes, payload: bytes) -> bytes:
    return tag + b" " + _crc(tag + payload) + b" " + payload + b"\n"


def snapshot_line(record: Any) -> bytes:
    """One checksummed snapshot line of a JSON-ready record."""
    data = orjson.dumps(record)
    return _crc(data) + b" " + data + b"\n"


class Journal:
    def __init__(self, directory: str | Path, segment_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self.segment = 0
        self.size = 0
        self.damage: dict[str, int] = {}  # file name -> damaged records found reading it

    # ---- the lock: one process per data directory ------------------------------------------

    def lock(self) -> None:
        """Take the data directory's lock (``flock`` on ``lock``, holding our pid), or raise
        :class:`DataDirInUse` naming the process that holds it. The kernel drops the lock
        when the process ends, however it ends."""
        if self._lock_fd is not None:
            return
        path = self.directory / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUse(
                f"--data-dir {self.directory} is in use by process {holder} (its lock file "
                f"{path}); stop that serve or choose another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

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

    def _damaged(self, name: str, records: int = 1) -> None:
        self.damage[name] = self.damage.get(name, 0) + records

    def snapshot_records(self) -> Iterator[dict[str, Any]]:
        """The snapshot's intact records, one at a time: the header first (``{"format": 2,
        "segment": N, ...}``; ``{"segment": 0}`` without a snapshot or when its header is
        damaged, then every segment is replayed), then tickets and metrics. Damaged lines,
        a missing end and a missing snapshot before segment 2 are counted in :attr:`damage`."""
        path = self.directory / SNAPSHOT
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, read line by line
        except FileNotFoundError:
            segments = self._segments()
            if segments and segments[0] > 1:  # compacted once, and the snapshot is gone
                self._damaged(SNAPSHOT)
            yield {"segment": 0}
            return
        with handle:
            first = handle.readline()
            if first.startswith(b"{") and not first.endswith(b"\n"):  # an earlier version's
                yield from self._legacy_snapshot(first + handle.read())
                return
            header = self._snapshot_line(first)
            if isinstance(header, dict) and header.get("format") == SNAPSHOT_FORMAT:
                try:
                    header["segment"] = int(header["segment"])
                    yield header
                except (KeyError, TypeError, ValueError):
                    self._damaged(SNAPSHOT)
                    yield {"segment": 0}
            else:
                self._damaged(SNAPSHOT)
                yield {"segment": 0}
            records = 0
            ended = False
            for line in handle:
                record = self._snapshot_line(line)
                if not isinstance(record, dict):
                    self._damaged(SNAPSHOT)
                elif "end" in record:
                    ended = record["end"] == records
                    if not ended:  # lines lost whole (cut out, or a newline damaged)
                        self._damaged(SNAPSHOT)
                    break
                else:
                    records += 1
                    yield record
            if not ended and SNAPSHOT not in self.damage:
                self._damaged(SNAPSHOT)  # truncated: the end record never came

    def _snapshot_line(self, line: bytes) -> Any:
        """The record of one checksummed line, or None when it is damaged."""
        if len(line) < 11 or line[8:9] != b" " or not line.endswith(b"\n"):
            return None
        data = line[9:-1]
        if _crc(data) != line[:8]:
            return None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return None

    def _legacy_snapshot(self, data: bytes) -> Iterator[dict[str, Any]]:
        """An earlier version's one-document snapshot, as records (read whole)."""
        try:
            document = orjson.loads(data)
            segment = int(document["segment"])
            state = document["state"]
            tickets, counters, histograms = (
                state["tickets"],
                state["counters"],
                state["histograms"],
            )
            header = {"segment": segment, "clock": state.get("clock")}
            header["horizon"] = state.get("horizon")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self._damaged(SNAPSHOT)
            yield {"segment": 0}
            return
        del document, state
        yield header
        if not isinstance(tickets, list) or not isinstance(counters, dict):
            self._damaged(SNAPSHOT)
            return
        tickets.reverse()
        while tickets:  # in their order, each let go once adopted
            yield {"ticket": tickets.pop()}
        for name, series in counters.items():
            yield {"counter": [name, series]}
        if isinstance(histograms, dict):
            for name, hseries in histograms.items():
                yield {"histogram": [name, hseries]}

    def first_segment(self) -> int:
        numbers = self._segments()
        return numbers[0] if numbers else 0

    def replay(
        self, first: int, clock: float = -math.inf, ceiling: float = math.inf
    ) -> Iterator[tuple[bytes, bytes]]:
        """Every intact (tag, payload) of the segments from ``first`` on, in order.

        ``clock``: the engine time already reached (a clock line before it is damage);
        ``ceiling``: no clock line can lie beyond it (the wall clock of the restart plus
        a day). Damaged lines are skipped and counted in :attr:`damage`.
        """
        numbers = [n for n in self._segments() if n >= first]
        for number in numbers:
            path = self._path(number)
            last = number == numbers[-1]
            with open(path, "rb") as handle:
                for line in handle:
                    if not line.endswith(b"\n"):
                        if not last:  # only the last segment can end in a torn write
                            self._damaged(path.name)
                        break  # a torn last line was never acknowledged
                    parsed = self._journal_line(line)
                    if parsed is None:
                        if line.strip():
                            self._damaged(path.name)
                        continue
                    tag, payload = parsed
                    if tag in CLOCK_TAGS:
                        try:
                            seconds = float(payload)
                        except ValueError:
                            seconds = math.nan
                        if not (clock <= seconds <= ceiling):  # also NaN, +-inf
                            self._damaged(path.name)
                            continue
                        clock = seconds
                    yield tag, payload

    @staticmethod
    def _journal_line(line: bytes) -> tuple[bytes, bytes] | None:
        tag = line[:1]
        upper = TAGS.get(tag)
        if upper is not None:
            if line[1:2] != b" " or line[10:11] != b" ":
                return None
            payload = line[11:-1]
            if _crc(upper.lower() + payload) != line[2:10]:
                return None
            return upper, payload
        if tag in LEGACY_TAGS and line[1:2] == b" ":
            return tag, line[2:-1]
        return None

    def quarantine(self) -> Path | None:
        """Copy every file with damage into ``quarantine/`` (named with the time), before a
        compaction replaces or deletes them; returns the folder (None without damage)."""
        if not self.damage:
            return None
        folder = self.directory / QUARANTINE
        folder.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for name in self.damage:
            source = self.directory / name
            if source.exists():
                target = folder / f"{name}.{stamp}"
                shutil.copyfile(source, target)
                with open(target, "rb") as copied:
                    os.fsync(copied.fileno())
        self._sync_directory(folder)
        return folder

    def open(self, first: int) -> None:
        """Append to the last segment (at least ``first``), its torn tail cut off."""
        numbers = [n for n in self._segments() if n >= first]
        self.segment = numbers[-1] if numbers else max(first, 1)
        path = self._path(self.segment)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data_end = self._end_of_last_line(path)
        os.ftruncate(self._fd, data_end)
        self.size = data_end
        for number in self._segments():  # segments a snapshot already covers
            if number < first:
                self._path(number).unlink(missing_ok=True)

    @staticmethod
    def _end_of_last_line(path: Path) -> int:
        """The offset just after the last newline of ``path`` (read backwards in blocks)."""
        with open(path, "rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            while end > 0:
                start = max(0, end - 65536)
                handle.seek(start)
                block = handle.read(end - start)
                newline = block.rfind(b"\n")
                if newline >= 0:
                    return start + newline + 1
                end = start
        return 0

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

    def compact(self, header: dict[str, Any], lines: list[bytes]) -> None:
        """Snapshot the state (``header`` and the :func:`snapshot_line` records ``lines``,
        which cover everything written so far), start a new segment."""
        assert self._fd is not None, "journal not open"
        following = self.segment + 1
        tmp = self.directory / (SNAPSHOT + ".tmp")
        try:
            with open(tmp, "wb") as out:
                out.write(
                    snapshot_line({**header, "format": SNAPSHOT_FORMAT, "segment": following})
                )
                for line in lines:
                    out.write(line)
                out.write(snapshot_line({"end": len(lines)}))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.directory / SNAPSHOT)
        except OSError:
            tmp.unlink(missing_ok=True)  # no stale tmp file left behind (a full disk)
            raise
        self._sync_directory()
        os.close(self._fd)
        self._fd = None
        self.open(following)
        self._sync_directory()
        self.damage.clear()  # what was damaged is in quarantine/ and out of the journal

    def _sync_directory(self, directory: Path | None = None) -> None:
        fd = os.open(directory or self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


def event_line(line: bytes) -> bytes:
    return _record(b"e", line)


def clock_line(seconds: float) -> bytes:
    return _record(b"c", repr(seconds).encode())


def expire_line(seconds: float) -> bytes:
    return _record(b"x", repr(seconds).encode())
