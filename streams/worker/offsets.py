"""The input offsets: which input offsets are in the engine, and holes to read again.

Per partition it keeps the last offset applied. Every offset up to it is in the
engine (and, once flushed, in the changelog with the clock record), so it is where the
partition's state resumes. A message at or below it is a re-delivery (after a restart, a
rebalance or a seek) and is skipped; a message beyond it + 1 means the consumer did not
deliver the ones between: the partition gets a :class:`Rewind` and the worker seeks back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

log = logging.getLogger("servicepulse.worker")


class Rewind:
    """A hole in what the consumer delivered for one partition, and the seek that refills it."""

    __slots__ = ("expected", "first_seek", "seeks", "seen", "sought", "target")

    # A hole is taken as real (offsets that do not exist) only when the re-read after this
    # many seeks, this long after the first one, still starts past it: messages fetched
    # before a seek (even the same offset twice) come out of the consumer's buffers after it.
    SEEKS = 3
    SECONDS = 2.0

    def __init__(self, expected: int, seen: int) -> None:
        self.expected = expected  # the offset the state needs next
        self.seen = seen  # the first offset delivered beyond it
        self.target = expected  # where the consumer is sent back to (>= the log start)
        self.sought = False  # the last seek requested has been made
        self.seeks = 0
        self.first_seek = 0.0  # time.monotonic() of the first seek


class Offsets:
    """Per-partition applied offsets, written offsets and pending rewinds."""

    def __init__(self) -> None:
        self.last_offset: dict[int, int] = {}  # last offset applied
        self.written_offset: dict[int, int] = {}  # last offset in a clock record sent
        self.durable: dict[int, int] = {}  # last offset in a clock record acknowledged
        self.rewinds: dict[int, Rewind] = {}  # partitions waiting for a seek back
        self.rewound = 0  # seeks made to refill a hole
        self.skipped = 0  # messages not applied: already applied, or beyond a hole

    def admit(self, partition: int, offset: int) -> bool:
        """True if ``offset`` is the next one of ``partition`` (and records it as applied)."""
        last = self.last_offset.get(partition)
        if last is None or offset != last + 1:
            # not owned (fetched before a revocation), already applied, or past a hole
            if last is None or offset <= last or not self._beyond(partition, last, offset):
                self.skipped += 1
                return False
        elif self.rewinds and partition in self.rewinds:
            del self.rewinds[partition]  # the hole is refilled
        self.last_offset[partition] = offset
        return True

    def _beyond(self, partition: int, last: int, offset: int) -> bool:
        """A message past a hole at ``last + 1``: True to apply it (the hole is real)."""
        rewind = self.rewinds.get(partition)
        if rewind is None:
            self.rewinds[partition] = Rewind(last + 1, offset)
            log.warning(
                "partition %d: offset %d delivered, %d expected; seeking back",
                partition,
                offset,
                last + 1,
            )
            return False
        if not rewind.sought or offset > max(rewind.seen, rewind.target):
            return False  # fetched before the seek; it comes again after it
        # Perhaps the re-read: it starts past the expected offset. Or a message fetched
        # before the seek. Seek again, until it is certain those offsets do not exist
        # (retention, compaction, transaction markers).
        if rewind.seeks < rewind.SEEKS or time.monotonic() - rewind.first_seek < rewind.SECONDS:
            rewind.sought = False
            return False
        del self.rewinds[partition]
        log.warning(
            "partition %d: offsets %d-%d do not exist; going on from %d",
            partition,
            last + 1,
            offset - 1,
            offset,
        )
        return True

    def expect(self, partition: int, offset: int = 0) -> None:
        """Where a newly owned partition with no stored position starts (its beginning).

        If the log starts later (retention), the first message is beyond the expected
        offset, the worker seeks back to the log start, and goes on from there.
        """
        if partition not in self.last_offset:
            self.last_offset[partition] = self.written_offset[partition] = offset - 1

    def adopt(self, partition: int, offset: int) -> None:
        """A stored position (clock record) of ``partition``."""
        offset = max(offset, self.last_offset.get(partition, -1))
        self.last_offset[partition] = self.written_offset[partition] = offset
        self.durable[partition] = offset

    def moved(self) -> Iterator[tuple[int, int]]:
        """(partition, offset) of every partition applied past its last clock record."""
        written = self.written_offset
        for partition, offset in self.last_offset.items():
            if written.get(partition) != offset:
                written[partition] = offset
                yield partition, offset

    def forget(self, partitions: set[int]) -> None:
        for partition in partitions:
            self.last_offset.pop(partition, None)
            self.written_offset.pop(partition, None)
            self.durable.pop(partition, None)
            self.rewinds.pop(partition, None)
