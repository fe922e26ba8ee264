"""The engine's deadline queue and its belief in event time.

``DeadlineQueue`` is a min-heap of ``(deadline, ticket_id, target)``. A clock
that stops, pauses or moves leaves its old entry behind (cheaper than removing
it); ``advance`` skips such stale entries (``is_live``). So that they do not pile up (a
ticket re-armed on every pause and reply leaves one per change), the heap is
rebuilt from its live entries whenever it has doubled since the last rebuild:
amortised O(1) per push, and the heap stays within twice the running clocks.

``EventClock`` decides how far ahead of the engine's clock an event is
believed (docs/engine.md, "How far ahead an event is believed").
"""

from __future__ import annotations

import heapq
from typing import Final

from streams.core.ticket import STINT, Ticket

INF: Final = float("inf")
Entry = tuple[float, str, int]  # (deadline, ticket_id, target index)

MIN_COMPACT: Final = 1024  # never rebuild a heap smaller than this
MAX_AHEAD: Final = 86400.0  # an event more than a day ahead of the clock needs a second witness


class DeadlineQueue:
    """Deadlines of the running clocks of the ``open`` tickets (the engine's own dict)."""

    __slots__ = ("_limit", "heap", "open")

    def __init__(self, open_tickets: dict[str, Ticket]) -> None:
        self.heap: list[Entry] = []
        self.open = open_tickets
        self._limit = MIN_COMPACT

    def is_live(self, entry: Entry) -> bool:
        """Whether an entry is still the deadline of a running clock (else it is stale).

        A method of the queue rather than a callback, so that a compiled core checks the
        whole heap natively when it compacts.
        """
        deadline, ticket_id, target = entry
        ticket = self.open.get(ticket_id)
        if ticket is None:
            return False
        clock = ticket.stint if target == STINT else ticket.clock(target)
        return (
            clock is not None
            and clock.running
            and not clock.breached
            and clock.deadline == deadline
        )

    def __len__(self) -> int:
        return len(self.heap)

    def push(self, deadline: float, ticket_id: str, target: int) -> None:
        heapq.heappush(self.heap, (deadline, ticket_id, target))
        if len(self.heap) > self._limit:
            self.compact()

    def arm(self, entries: list[Entry]) -> None:
        """Add the deadlines of loaded tickets, all at once.

        They are live, so they raise the compaction limit by twice their number, as a
        compaction right after would: pushed one by one, a load of 100,000 tickets
        compacted the heap ~8 times and found nothing stale.
        """
        heap = self.heap
        if len(entries) >= len(heap):
            heap.extend(entries)
            heapq.heapify(heap)
        else:
            push = heapq.heappush
            for entry in entries:
                push(heap, entry)
        self._limit += 2 * len(entries)

    def compact(self) -> None:
        """Drop stale entries (in place: ``advance`` may hold a reference to the list)."""
        live = [entry for entry in self.heap if self.is_live(entry)]
        heapq.heapify(live)
        self.heap[:] = live
        self._limit = max(MIN_COMPACT, 2 * len(live))

    def due(self, now: float) -> list[Entry]:
        """Pop every entry whose deadline lies before ``now`` (stale ones included)."""
        heap = self.heap
        popped: list[Entry] = []
        while heap and heap[0][0] < now:
            popped.append(heapq.heappop(heap))
        return popped


class EventClock:
    """How far ahead of its clock the engine believes an event's time.

    On the event clock, the engine's clock is the latest event time seen. An
    event up to ``max_ahead`` (a day) ahead of it moves the clock at once. An
    event further ahead is applied to its own ticket but moves the shared clock
    only when an event of *another* ticket confirms that time (lies within
    ``max_ahead`` of it): a real gap in the stream (a weekend, an outage) is
    crossed at its second event, while one event dated decades ahead never
    moves the clock for everyone and causes no false breaches.
    """

    __slots__ = ("candidate", "max_ahead")

    def __init__(self, max_ahead: float = MAX_AHEAD) -> None:
        self.max_ahead = max_ahead
        self.candidate: tuple[float, str] | None = None  # an unconfirmed far-ahead event

    def believe(self, now: float, ts: float, ticket_id: str) -> float:
        """The time the clock may move to for an event at ``ts`` (``now`` if not believed)."""
        if now == -INF or ts <= now + self.max_ahead:
            return ts
        candidate = self.candidate
        if candidate is not None:
            at, other = candidate
            if other != ticket_id and abs(ts - at) <= self.max_ahead:
                self.candidate = None
                return min(ts, at)
        self.candidate = (ts, ticket_id)
        return now
