"""Writing the state: dead letters and changelog records out, durable positions in.

After each batch (and each clock tick) the touched tickets' states, the moved partitions'
clock records and the rejected messages go to the producer. The offsets those clock
records carry become *durable* (what Faust may commit, ``Worker.position``) once every
delivery of that flush is acknowledged.

Applying the next batch does not wait for those acknowledgements: the engine goes on
(and ``/metrics`` shows it) while a flush is in flight. One flush is in flight at a
time: what the engine touches meanwhile is sent, all together, when that flush is
acknowledged. So a flush is never sent before the one before it is in the changelog:
if a write is refused, nothing written after it can reach the changelog (a clock
record past state that is not there would lose that state at the next load). Waiting
for the acknowledgement before the next batch cost a produce round trip per batch on
the way from the input topic to ``/metrics``; the guarantee was never that the engine
waits, only that no input offset is committed before the state it produced.

Flushes are also spaced: one is sent at most every ``FLUSH_EVERY`` seconds, and what
the batches touch meanwhile waits for it. A ticket or tally series touched by many
batches is then one changelog record per interval, not one per batch: at full speed the
tally series (a partition has some 2,400, and a 2,000-event batch changes about 650 of
them) were more records than events, each serialised and appended to a record batch
one by one. Nothing waits for the spacing but the changelog: ``/metrics`` shows each
batch as it is applied, the offsets Faust commits (every 2.8 s) were never ahead of the
changelog anyway, and a rebalance (``drained``) sends what waits at once. A crash loses
at most the interval's work, which the next owner applies again from the stored
position, as before.

A refused write (record too large, broker error) is a :class:`ChangelogError`: the
durable positions stay where the changelog last acknowledged, nothing past them is
committed, nothing more is sent, and the worker stops (``on_failure``); a restart
reloads the last acknowledged state and reads on from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from streams.worker.state import State

log = logging.getLogger("servicepulse.worker")

FLUSH_EVERY = 0.5  # seconds: the least time between two flushes (below Faust's commit interval)
REASON_HEADER = "servicepulse-reason"
SOURCE_HEADER = "servicepulse-source"  # topic/partition/offset of the rejected message


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
        every: float = FLUSH_EVERY,
    ) -> None:
        self.state = state
        self.client = client  # the aiokafka producer under Faust's (what Faust flushes)
        self.changelog_topic = changelog_topic
        self.dlq_topic = dlq_topic
        self.on_failure = on_failure
        self.dlq_sent = 0
        self.flushes = 0  # flushes sent
        self.failed: ChangelogError | None = None
        self._in_flight: asyncio.Future[None] | None = None  # the acknowledgement awaited
        self.every = every  # least seconds between two sends
        self._again = False  # something was flushed that no send has taken yet
        self._sent_at = -float("inf")  # the event loop's time of the last send
        self._timer: asyncio.TimerHandle | None = None  # the spaced send, when waiting
        self._task: asyncio.Future[None] | None = None  # a send the timer started
        self._lock = asyncio.Lock()  # one send at a time: a ticket's states stay in order

    @property
    def in_flight(self) -> bool:
        return self._in_flight is not None and not self._in_flight.done()

    async def flush(self) -> None:
        """Send what the state has to write, or later: after the flush in flight, and
        ``every`` seconds after the last send."""
        if self.failed is not None:
            raise self.failed
        self._again = True
        if self.in_flight or self._timer is not None:
            return  # sent with everything else when the flush in flight is acknowledged
        wait = self._sent_at + self.every - asyncio.get_running_loop().time()
        if wait > 0:
            self._timer = asyncio.get_running_loop().call_later(wait, self._due)
            return
        await self._send()

    async def drained(self) -> None:
        """Wait until everything flushed so far is acknowledged (or has failed); what
        waits for the spacing is sent now."""
        while self.failed is None:
            acked = self._in_flight
            if acked is not None and not acked.done():
                await asyncio.wait([acked])
            elif self._task is not None and not self._task.done():
                await asyncio.wait([self._task])
            elif self._again:
                self._cancel_timer()
                await self._send()
            else:
                return

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _resume(self) -> None:
        """After an acknowledgement: send what waits, when the spacing allows."""
        if not self._again or self._timer is not None or self.failed is not None:
            return
        wait = self._sent_at + self.every - asyncio.get_running_loop().time()
        if wait > 0:
            self._timer = asyncio.get_running_loop().call_later(wait, self._due)
        else:
            self._due()

    def _due(self) -> None:
        self._timer = None
        if self._again and not self.in_flight and self.failed is None:
            self._task = asyncio.ensure_future(self._send_reported())

    async def _send_reported(self) -> None:
        with contextlib.suppress(ChangelogError):  # reported through on_failure
            await self._send()

    async def _send(self) -> None:
        state = self.state
        async with self._lock:
            if self.failed is not None:
                raise self.failed
            if self.in_flight:  # sent by another caller meanwhile
                self._again = True
                return
            self._again = False
            records = list(state.take_touched())
            written = dict(state.offsets.written_offset)
            letters, state.dead_letters = state.dead_letters, []
            if not records and not letters:
                state.offsets.durable.update(written)  # nothing in flight: durable now
                return
            try:
                client = self.client()
                deliveries = await self._send_dead_letters(client, letters)
                deliveries += await self._send_state(client, records)
            except Exception as exc:
                await self._fail(exc)
                raise self.failed from exc  # type: ignore[misc]
            self.flushes += 1
            self._sent_at = asyncio.get_running_loop().time()
            self._in_flight = asyncio.ensure_future(
                self._acknowledge(deliveries, written, len(records), len(letters))
            )

    async def _acknowledge(
        self, deliveries: list[Any], written: dict[int, int], records: int, letters: int
    ) -> None:
        try:
            await asyncio.gather(*deliveries)
        except Exception as exc:
            await self._fail(exc)
            return
        state = self.state
        state.state_writes += records
        self.dlq_sent += letters
        owned = state.offsets.last_offset  # not a partition dropped meanwhile
        state.offsets.durable.update((p, o) for p, o in written.items() if p in owned)
        self._in_flight = None
        self._resume()  # what was touched meanwhile, in one flush

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
