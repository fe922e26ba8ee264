"""``Ledger``: the engine's ``RecordSink`` writing to a store in batches.

The engine calls ``record`` for every outcome, stint, survey answer and QA review as it
becomes known; the ledger keeps the latest record per key in memory and writes them in one
transaction when ``batch`` records are waiting, when ``interval`` seconds have passed since
the last write (checked on each record and by ``flush_due``), and at ``close``. So the
engine's rate is barely touched: one upsert statement per record, one commit per batch.

A failing store (PostgreSQL down, disk full) never reaches the engine: the batch stays
pending and is retried on the next flush; beyond ``max_pending`` records the oldest are
dropped and counted (``dropped``). Only ``close`` raises, so that ``replay`` fails loudly.

Retention (docs/ledger.md): rows known (``at``) more than ``retention`` seconds before the
newest row's are deleted, at most once per ``PRUNE_EVERY`` seconds of event time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from streams.core.records import Record, key
from streams.errors import UserError
from streams.ledger.sql import SqlStore

log = logging.getLogger("servicepulse.ledger")

DEFAULT_RETENTION_DAYS = 400
DEFAULT_BATCH = 2000  # records per transaction
DEFAULT_INTERVAL = 1.0  # seconds between writes at the most
DEFAULT_MAX_PENDING = 200_000  # records held while the store fails
PRUNE_EVERY = 86400.0  # event-time seconds between prunes


class Ledger:
    def __init__(
        self,
        store: SqlStore,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        batch: int = DEFAULT_BATCH,
        interval: float = DEFAULT_INTERVAL,
        max_pending: int = DEFAULT_MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.retention = retention_days * 86400.0
        self.batch = batch
        self.interval = interval
        self.max_pending = max_pending
        self.clock = clock
        self.pending: dict[tuple[str, str, int], Record] = {}
        self.written = 0  # rows written (a replaced row counts again)
        self.pruned = 0
        self.dropped = 0
        self.failing = False
        self._flushed_at = clock()
        self._pruned_to = float("-inf")

    def record(self, record: Record) -> None:
        """Take one record; write the waiting ones when the batch is full or due."""
        self.pending[key(record)] = record
        if len(self.pending) >= self.batch or self.clock() - self._flushed_at >= self.interval:
            self.flush()

    def flush_due(self) -> None:
        """Write what waits if ``interval`` has passed (a quiet ``serve`` calls this)."""
        if self.pending and self.clock() - self._flushed_at >= self.interval:
            self.flush()

    def flush(self, strict: bool = False) -> None:
        """Write every waiting record in one transaction, then prune if due.

        A store error is logged and the records kept for the next flush, unless ``strict``
        (then it is a one-line ``UserError``).
        """
        self._flushed_at = self.clock()
        if not self.pending:
            return
        try:
            self.written += self.store.write(self.pending.values())
            self.pending.clear()
            horizon = self.store.newest() - self.retention
            if horizon - self._pruned_to >= PRUNE_EVERY:
                self.pruned += self.store.prune(horizon)
                self._pruned_to = horizon
        except Exception as exc:
            if strict:
                raise UserError(f"cannot write the ledger {self.store.where}: {exc}") from None
            self._failed(exc)
            return
        if self.failing:
            log.warning("ledger %s: writing again", self.store.where)
            self.failing = False

    def _failed(self, exc: Exception) -> None:
        if not self.failing:
            log.warning("ledger %s: write failed, will retry: %s", self.store.where, exc)
            self.failing = True
        excess = len(self.pending) - self.max_pending
        if excess > 0:
            for stale in list(self.pending)[:excess]:
                del self.pending[stale]
            self.dropped += excess
            log.warning("ledger %s: %d records dropped while failing", self.store.where, excess)

    def close(self) -> None:
        """Write what waits (a failure is a ``UserError``), then close the store."""
        try:
            self.flush(strict=True)
        finally:
            self.store.close()
