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
from streams.journal import SNAPSHOT, Journal, clock_line, event_line, expire_line
from streams.ledger.sink import Ledger
from streams.serve.state import capture, restore_records

log = logging.getLogger("servicepulse.serve")
EXPIRE_EVERY = 3600.0  # wall seconds between sweeps of long-finished tickets
# a clock line beyond the wall clock of the restart by more than this is damage (a clock
# written by an earlier run is at most that run's wall clock; a day allows for a stepped clock)
PLAUSIBLE_AHEAD = 86400.0
COMPACT_RETRY = 60.0  # seconds after a failed compaction (a full disk) before the next try


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
        self._compact_after = 0.0  # monotonic time before which no compaction is tried
        self.replayed = 0

    # ---- start: snapshot + journal -----------------------------------------------------------

    def recover(self) -> int:
        """Lock the data directory, load the snapshot, replay the journal after it; returns
        the events replayed.

        Damaged records (docs/deployment.md, "The data directory") are skipped, never move
        the clock, and are counted in ``servicepulse_journal_damaged_records_total``; the
        damaged files are copied into ``quarantine/`` and the recovered state compacted at
        once, so the damage is reported once and a later restart starts clean.
        """
        journal = self.journal
        journal.lock()
        engine = self.engine
        ceiling = self.wall() + PLAUSIBLE_AHEAD  # no clock of the journal lies beyond it
        first, wrong = restore_records(journal.snapshot_records(), engine, self.exporter, ceiling)
        if wrong:
            journal.damage[SNAPSHOT] = journal.damage.get(SNAPSHOT, 0) + wrong
        if first == 0:  # no snapshot, or its header is damaged: every segment there is
            first = journal.first_segment()
        count = 0
        for tag, payload in journal.replay(first, engine.now, ceiling):
            if tag == b"E":
                engine.ingest(payload)
                count += 1
            elif tag == b"C":
                engine.advance(float(payload))
            elif tag == b"X":
                engine.expire(float(payload))
        journal.open(first)
        self.replayed = count
        damaged = sum(journal.damage.values())
        if damaged:
            self.exporter.inc("journal_damaged_records", (), float(damaged))
            where = ", ".join(f"{name}: {n}" for name, n in sorted(journal.damage.items()))
            try:
                kept = f"the damaged files are kept in {journal.quarantine()}"
                journal.compact(*capture(engine, self.exporter))
            except OSError as exc:  # still start: the next start finds (and counts) it again
                kept = f"quarantine and compaction failed ({exc.strerror or exc}), files left"
            log.warning(
                "journal damage in %s: %d damaged records skipped (%s), %d intact events "
                "recovered; %s",
                journal.directory,
                damaged,
                where,
                count,
                kept,
            )
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
        if self.journal.due() and time.monotonic() >= self._compact_after:
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
        ledger = self.engine.records
        if isinstance(ledger, Ledger):  # its rows first: the compaction drops their events
            ledger.flush()
            if ledger.pending:  # the ledger cannot be written: keep the events to replay
                self._compact_after = time.monotonic() + COMPACT_RETRY
                return
        header, lines = capture(self.engine, self.exporter)
        started = time.monotonic()
        try:
            await asyncio.to_thread(self.journal.compact, header, lines)
        except OSError as exc:  # the journal keeps growing; tried again a while later
            self._compact_after = time.monotonic() + COMPACT_RETRY
            log.warning("journal compaction failed, tried again in %.0fs: %s", COMPACT_RETRY, exc)
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
