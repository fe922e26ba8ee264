"""The owned partitions' state in the engine: what moved away dropped, what came read in.

Each assignment sets the partitions owned; :class:`Loader` makes the engine hold exactly
their state. Partitions that moved away are dropped at once (gauges cover only owned
partitions, so summing over workers is right). Newly owned ones are read from the
changelog in bulk (``recovery.py``) while input waits (:attr:`Loader.done`).

One read at a time, and input waits until the *latest* assignment is loaded. A rebalance
often comes while a read is under way (a worker joins just after another left): the
read goes on, and what the new assignment adds is read after it. Two reads of one
partition would be wrong, not just slow: input applied between them would be undone by
the second (tickets back to an older state, their offsets still counted as applied).
Only a partition that left during its read and came back is read again, once the read
ends and before any input: its other owner may have written the changelog meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable

from streams.worker.recovery import Stored
from streams.worker.state import State

log = logging.getLogger("servicepulse.worker")

Read = Callable[[set[int]], Awaitable[Stored]]
Ahead = Callable[[set[int]], Awaitable[int | None]]  # installs them if it can: the tickets
OnError = Callable[[BaseException], Awaitable[None]]


class Loader:
    """Keeps ``state``'s partitions equal to the latest assignment."""

    def __init__(
        self,
        state: State,
        read: Read,
        on_error: OnError,
        on_done: Callable[[], None],
        ahead: Ahead | None = None,
    ) -> None:
        self.state = state
        self.read = read  # the latest changelog value of every key in those partitions
        self.ahead = ahead  # partitions read and built before the assignment (ahead.py)
        self.on_error = on_error  # a read failed: input stays held (the worker stops)
        self.on_done = on_done  # the latest assignment is loaded (before input goes on)
        self.owned: set[int] = set()
        self._left: set[int] = set()  # partitions unowned at some point of the current read
        self.done = asyncio.Event()  # set when every owned partition is in the engine
        self.seconds = 0.0  # duration of the last read-and-load
        self._task: asyncio.Task[None] | None = None

    @property
    def loading(self) -> bool:
        return self._task is not None and not self._task.done()

    def assign(self, owned: set[int]) -> None:
        """A new assignment: drop what moved away, read in what is new (in the background)."""
        self._left |= self.owned - owned
        self.owned = set(owned)
        self._drop_moved()
        if self.loading:
            return  # the read under way goes on; the loop reads what this one added
        if self.owned <= self.state.loaded:
            self.done.set()
            return
        self.done.clear()
        self._task = asyncio.ensure_future(self._load())

    def _drop_moved(self) -> None:
        gone = self.state.loaded - self.owned
        if gone:
            dropped = self.state.drop(gone)
            log.info("partitions %s moved away: dropped %d tickets", sorted(gone), dropped)

    async def _load(self) -> None:
        while new := self.owned - self.state.loaded:
            started = time.monotonic()
            self._left = set()
            try:
                count = await self._read_into_engine(new)
            except Exception as exc:
                await self.on_error(exc)
                return
            for partition in new:
                self.state.expect(partition)  # no stored position: from the beginning
            # Revoked while it was being read: dropped. Revoked and given back: another
            # worker may have written its changelog during the read, so it is read again.
            stale = self._left & new
            if stale:
                self.state.drop(stale)
            self._drop_moved()
            self.seconds = time.monotonic() - started
            log.warning(
                "partitions %s owned; loaded %d tickets of %s in %.2fs",
                sorted(self.owned),
                count,
                sorted(new),
                self.seconds,
            )
        self.on_done()
        self.done.set()

    async def _read_into_engine(self, partitions: set[int]) -> int:
        # The cyclic GC would walk every object built so far again and again while
        # hundreds of thousands of tickets are created (2.4x the load time, measured);
        # none of them form cycles, so it is paused, and what was loaded is frozen out
        # of later full collections.
        if self.ahead is not None:
            count = await self.ahead(partitions)
            if count is not None:
                return count
        gc.disable()
        try:
            stored = await self.read(partitions)
            count = self.state.load(stored.latest.items(), partitions, stored.tail)
            del stored
            gc.freeze()  # before enable: the first collection would walk every object loaded
        finally:
            gc.enable()
        return count
