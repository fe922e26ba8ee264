"""Writing the state: dead letters and changelog records out, durable positions in.

After each batch (and each clock tick) the touched tickets' states, the moved partitions'
clock records and the rejected messages go to the producer. The offsets those clock
records carry become *durable* (what Faust may commit, ``Worker.position``) only once
every delivery of that flush **and of every flush before it** is acknowledged.

Applying the next batch does not wait for those acknowledgements: the engine goes on,
its records are appended behind the ones in flight (the producer keeps one batch per
partition in flight, so a ticket's states reach the changelog in order), and the
durable positions follow the acknowledgements, flush by flush, in order. Waiting for
them before the next batch cost a produce round trip per batch on the way from the
input topic to ``/metrics``; the guarantee was never that the engine waits, only that no
input offset is committed before the state it produced. At most ``MAX_UNACKED`` flushes
are in flight; the next one waits for the oldest (back-pressure).

A refused write (record too large, broker error) is a :class:`ChangelogError`: the
durable positions stay where the changelog last acknowledged, nothing past them is
committed, no later flush moves them, and the worker stops (``on_failure``); a restart
reloads the last acknowledged state and reads on from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from streams.worker.state import State

log = logging.getLogger("servicepulse.worker")

REASON_HEADER = "servicepulse-reason"
SOURCE_HEADER = "servicepulse-source"  # topic/partition/offset of the rejected message
MAX_UNACKED = 4  # flushes whose deliveries are not all acknowledged yet


class ChangelogError(RuntimeError):
    """The changelog refused state: nothing past it may be committed; the worker stops."""


class ChangelogWriter:
    """Sends a :class:`State`'s records and dead letters; moves its durable positions."""

    def __init__(
        self,
        state: State,
        client: Callable[[], Any],
        changelog_topic: str,
        dlq_topic: str,
        on_failure: Callable[[ChangelogError], Awaitable[None]],
        max_unacked: int = MAX_UNACKED,
    ) -> None:
        self.state = state
        self.client = client  # the aiokafka producer under Faust's (what Faust flushes)
        self.changelog_topic = changelog_topic
        self.dlq_topic = dlq_topic
        self.on_failure = on_failure
        self.max_unacked = max_unacked
        self.dlq_sent = 0
        self.failed: ChangelogError | None = None
        self._unacked: deque[asyncio.Future[None]] = deque()
        self._lock = asyncio.Lock()  # sends in call order: a ticket's states stay in order

    @property
    def unacked(self) -> int:
        return len(self._unacked)

    async def flush(self) -> None:
        """Send what the state has to write; return once sent, not acknowledged."""
        state = self.state
        async with self._lock:
            if self.failed is not None:
                raise self.failed
            while True:
                pending = [acked for acked in self._unacked if not acked.done()]
                if len(pending) < self.max_unacked:
                    break
                await asyncio.wait([pending[0]])
            if self.failed is not None:
                raise self.failed
            records = list(state.take_touched())
            written = dict(state.ledger.written_offset)
            letters, state.dead_letters = state.dead_letters, []
            if not records and not letters and not self._unacked:
                state.ledger.durable.update(written)  # nothing in flight: durable now
                return
            try:
                client = self.client()
                deliveries = await self._send_dead_letters(client, letters)
                deliveries += await self._send_state(client, records)
            except Exception as exc:
                await self._fail(exc)
                raise self.failed from exc  # type: ignore[misc]
            previous = self._unacked[-1] if self._unacked else None
            acked = asyncio.ensure_future(
                self._acknowledge(previous, deliveries, written, len(records), len(letters))
            )
            self._unacked.append(acked)
            acked.add_done_callback(self._done)

    async def drained(self) -> None:
        """Wait until every flush sent so far is acknowledged (or has failed)."""
        pending = [acked for acked in self._unacked if not acked.done()]
        if pending:
            await asyncio.wait(pending)

    def _done(self, acked: asyncio.Future[None]) -> None:
        if self._unacked and self._unacked[0] is acked:
            self._unacked.popleft()
        else:  # out of order only after a failure
            with contextlib.suppress(ValueError):
                self._unacked.remove(acked)
        if not acked.cancelled():
            acked.exception()  # retrieved: a failure is reported through on_failure

    async def _acknowledge(
        self,
        previous: asyncio.Future[None] | None,
        deliveries: list[Any],
        written: dict[int, int],
        records: int,
        letters: int,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # the flushes before this one, in order
        if self.failed is not None:
            raise self.failed
        try:
            await asyncio.gather(*deliveries)
        except Exception as exc:
            await self._fail(exc)
            raise
        state = self.state
        state.state_writes += records
        self.dlq_sent += letters
        owned = state.ledger.last_offset  # not a partition dropped meanwhile
        state.ledger.durable.update((p, o) for p, o in written.items() if p in owned)

    async def _fail(self, exc: BaseException) -> None:
        if self.failed is not None:
            return
        error = exc if isinstance(exc, ChangelogError) else ChangelogError(repr(exc))
        self.failed = error
        log.error("changelog or DLQ write failed: %s; stopping", error)
        await self.on_failure(error)

    async def _send_dead_letters(
        self, client: Any, letters: list[tuple[bytes | None, bytes, str, str]]
    ) -> list[Any]:
        topic = self.dlq_topic
        deliveries = []
        for key, raw, reason, source in letters:
            headers = [(REASON_HEADER, reason.encode()), (SOURCE_HEADER, source.encode())]
            deliveries.append(await client.send(topic, raw, key=key, headers=headers))
        return deliveries

    async def _send_state(
        self, client: Any, records: list[tuple[int, bytes, bytes | None]]
    ) -> list[Any]:
        """State as one record batch per changelog partition (Faust's ``send_soon`` costs a
        task and a future per record)."""
        topic = self.changelog_topic
        batches: dict[int, Any] = {}
        deliveries = []
        for partition, key, value in records:
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = client.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                deliveries.append(await client.send_batch(batch, topic, partition=partition))
                batch = batches[partition] = client.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    size = len(value or b"")
                    raise ChangelogError(f"state record of {key!r} ({size} B) is too large")
        for partition, batch in batches.items():
            deliveries.append(await client.send_batch(batch, topic, partition=partition))
        return deliveries
