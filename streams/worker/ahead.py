"""Reading ahead at start-up: the partitions owned last time, read and built while Faust starts.

A restarted worker usually gets its partitions back. Between the process start and the
assignment Faust spends a second or more (its table manager waits a fixed second before
the consumer subscribes, then the group join), and the read and build of the state
(``recovery.py``, ``State.build``) used to start only after it. :class:`ReadAhead` keeps
the partitions of the last assignment in ``<data-dir>/<app-id>/partitions.json``; at
start it reads their changelog and builds their engines meanwhile. At the assignment
(:meth:`ReadAhead.take`) it reads again from where it stopped: if nothing was written
since and the partitions asked for are among those built, they are installed as built;
otherwise the loader reads them as usual, only what was written since the read ahead
being fetched (``read_changelog(since=...)``). Either way the state is the changelog's
as of the assignment, as without the read ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable
from itertools import islice
from pathlib import Path

from streams.worker.recovery import Reading
from streams.worker.state import Loaded, State

log = logging.getLogger("servicepulse.worker")

BUILD_STEP = 2000  # changelog records built between two turns of the event loop (~40 ms)

ReadFrom = Callable[[set[int], Reading | None], Awaitable[Reading]]


class ReadAhead:
    """The changelog of the last assignment's partitions, read and built before this one."""

    def __init__(self, state: State, read: ReadFrom, path: Path) -> None:
        self.state = state
        self.read = read  # read_changelog of some partitions (on top of an earlier read)
        self.path = path  # partitions.json: what the last assignment gave
        self._task: asyncio.Future[tuple[Reading, Loaded]] | None = None
        self._reading: Reading | None = None  # to read on from, when the built ones are stale

    def remember(self, owned: set[int]) -> None:
        with contextlib.suppress(OSError):  # only a head start is lost
            self.path.write_text(json.dumps(sorted(owned)))

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read and build the partitions of the last assignment, if there was one.

        The cyclic GC stays off until that is done (the worker's command turns it off
        before its imports): the start-up makes long-lived objects only (modules, Faust's
        services, the fetched records' contents, then the tickets), and each collection
        meanwhile walked all of them again (~0.05 s of the imports' CPU alone). They are
        frozen out of later collections (``gc.freeze``) when the build is done.
        """
        try:
            owned = {int(p) for p in json.loads(self.path.read_text())}
        except (OSError, ValueError, TypeError):
            owned = set()
        if not owned:
            gc.enable()
            return
        self._task = asyncio.ensure_future(self._read_and_build(owned), loop=loop)
        self._task.add_done_callback(lambda _: gc.enable())  # failed or cancelled too

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task = self._reading = None

    async def _read_and_build(self, partitions: set[int]) -> tuple[Reading, Loaded]:
        started = time.monotonic()
        gc.disable()  # as in Loader: no cycles among the tickets built (see start)
        reading = await self.read(partitions, None)
        stored = reading.stored()
        builder = self.state.builder(set(reading.ends))
        items = iter(stored.latest.items())
        try:
            # In slices, the event loop running between them: Faust joins the group
            # meanwhile (built in one go, the join waited for the whole build).
            while chunk := list(islice(items, BUILD_STEP)):
                builder.add(chunk)
                await asyncio.sleep(0)
            built = builder.finish(stored.tail)
            gc.freeze()  # before enable: else the next collection walks every object built
        finally:
            gc.enable()
        log.info("read ahead %s in %.2fs", sorted(reading.ends), time.monotonic() - started)
        return reading, built

    async def take(self, partitions: set[int]) -> int | None:
        """Install ``partitions`` as read ahead if the changelog has not moved since: the
        number of tickets installed; None when they are to be read as usual."""
        task, self._task = self._task, None
        if task is None:
            return None
        try:
            reading, built = await task
        except Exception as exc:  # read as usual
            log.warning("reading ahead failed: %r", exc)
            return None
        if not partitions <= set(built.partitions):
            self._reading = reading
            return None
        now = await self.read(partitions, reading)
        if now.flushes is not reading.flushes or any(
            now.ends[p] != reading.ends[p] for p in partitions
        ):
            self._reading = now if now.flushes is reading.flushes else None
            return None  # written since: built again from what was read (and the rest)
        chosen = Loaded(
            {p: built.partitions[p] for p in partitions},
            {p: pos for p, pos in built.positions.items() if p in partitions},
            sum(len(built.partitions[p].engine.tickets) for p in partitions),
        )
        return self.state.install(chosen)

    def reading(self, partitions: set[int]) -> Reading | None:
        """What was read ahead of ``partitions``, to read on from (once)."""
        reading, self._reading = self._reading, None
        if reading is not None and partitions <= set(reading.ends):
            return reading
        return None
