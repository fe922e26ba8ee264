"""``serve``'s store: group-committed journal writes, then the engine, in journal order.

Requests hand their records to ``append`` and wait. One flusher takes every
waiting batch at once, writes them after a clock line to the journal and
fsyncs once (in a thread, the event loop keeps serving), then applies them
to the engine in exactly the journal's order and wakes the requests: a ``200``
means on disk and counted; a failed write wakes them with the error (``503``)
and applies nothing. Replaying the journal at start repeats the same calls.

Time (docs/ingestion.md, "Time in serve"): the engine's clock is the wall
clock minus ``grace`` (:meth:`JournalStore.clock`), so a reply made before its
deadline but delivered up to ``grace`` seconds after it still counts met; the
clock lines of the journal hold that engine time, so a restart repeats it.
Tickets are forgotten against the engine's clock, not the wall clock, and an
event older than the retention horizon for a ticket not in memory is rejected
``no_ticket`` by the engine instead of creating the ticket again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from streams.core.engine import Engine
from streams.export.exporter import Exporter
from streams.ingest_http.bodies import Record
from streams.journal import Journal, clock_line, event_line, expire_line
from streams.serve.state import capture, restore

log = logging.getLogger("servicepulse.serve")
EXPIRE_EVERY = 3600.0  # wall seconds between sweeps of long-finished tickets


class JournalStore:
    def __init__(
        self,
        journal: Journal,
        engine: Engine,
        exporter: Exporter,
        grace: float = 0.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.journal = journal
        self.engine = engine
        self.exporter = exporter
        self.grace = grace
        self.wall = wall  # the wall clock (a test passes its own)
        self._waiting: list[tuple[list[Record], asyncio.Future[None]]] = []
        self._wake: asyncio.Event | None = None
        self._ready = False
        self._last_expire = wall()
        self._expire_due = False
        self.replayed = 0

    # ---- start: snapshot + journal -----------------------------------------------------------

    def recover(self) -> int:
        """Load the snapshot, replay the journal after it; returns the events replayed."""
        first, state = self.journal.read_snapshot()
        if state is not None:
            restore(state, self.engine, self.exporter)
        engine = self.engine
        count = 0
        for tag, payload in self.journal.replay(first):
            if tag == b"E":
                engine.ingest(payload)
                count += 1
            elif tag == b"C":
                engine.advance(float(payload))
            elif tag == b"X":
                engine.expire(float(payload))
        self.journal.open(first)
        self.replayed = count
        return count

    def ready(self) -> bool:
        return self._ready

    def clock(self) -> float:
        """The engine's time now: the wall clock minus the grace, never going back."""
        return max(self.engine.now, self.wall() - self.grace)

    # ---- the Store protocol --------------------------------------------------------------------

    async def append(self, records: list[Record]) -> None:
        if self._wake is None:
            raise RuntimeError("journal not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((records, future))
        self._wake.set()
        await future

    # ---- background tasks ----------------------------------------------------------------------

    async def run(self) -> None:
        """The flusher; runs until cancelled."""
        self._wake = asyncio.Event()
        self._ready = True
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._expire_due:
                self._expire_due = False
                await self._expire(self.engine.now)
            batch, self._waiting = self._waiting, []
            if not batch:
                continue
            try:
                await self._flush(batch)
            except Exception as exc:  # a bug must not stop the flusher for every later request
                log.exception("flushing a batch failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError(f"internal error: {exc}"))

    async def _flush(self, batch: list[tuple[list[Record], asyncio.Future[None]]]) -> None:
        wall = self.wall()
        now = max(self.engine.now, wall - self.grace)
        chunks = [clock_line(now)]
        for records, _ in batch:
            chunks.extend(event_line(record.line) for record in records)
        try:
            await asyncio.to_thread(self.journal.write, b"".join(chunks))
        except OSError as exc:
            error = OSError(f"journal write failed: {exc.strerror or exc}")
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self._apply(now, wall, batch)
        for _, future in batch:
            if not future.done():
                future.set_result(None)
        if self.journal.due():
            await self._compact()

    def _apply(self, now: float, wall: float, batch: list[tuple[list[Record], Any]]) -> None:
        # what Engine.ingest does, with the validation the HTTP layer already made
        engine = self.engine
        observe_lag = self.exporter.observe_lag
        engine.advance(now)
        for records, _ in batch:
            for record in records:
                event = record.event
                if event is None:
                    raw = record.data if isinstance(record.data, dict) else record.line
                    engine.reject(raw, record.reason or "invalid_json")
                else:
                    engine.apply(event, record.data)  # a forgotten ticket's: no_ticket
                    observe_lag(wall - event.ts)  # processing time minus event time

    async def _compact(self) -> None:
        state = capture(self.engine, self.exporter)
        started = time.monotonic()
        try:
            await asyncio.to_thread(self.journal.compact, state)
        except OSError as exc:  # the journal keeps growing; the next batch tries again
            log.warning("journal compaction failed: %s", exc)
            return
        log.info("journal compacted in %.2fs", time.monotonic() - started)

    async def tick(self, every: float) -> None:
        """Advance the engine to :meth:`clock`; forget long-finished tickets hourly."""
        while True:
            await asyncio.sleep(every)
            self.engine.advance(self.clock())
            wall = self.wall()
            if wall - self._last_expire >= EXPIRE_EVERY and self._wake is not None:
                self._last_expire = wall
                self._expire_due = True  # the flusher owns the journal
                self._wake.set()

    async def _expire(self, now: float) -> None:
        """Forget, at the engine's clock ``now``, what ended a retention before it."""
        try:
            await asyncio.to_thread(self.journal.write, expire_line(now))
        except OSError as exc:
            log.warning("journal write failed, expiry postponed: %s", exc)
            return
        self.engine.expire(now)
