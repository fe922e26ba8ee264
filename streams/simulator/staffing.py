"""Agents' capacity: real-time seats with queues, and the asynchronous inboxes.

Seats are staffed hour by hour (workforce management) with the square-root rule for the
normal load, ``ceil(a + beta sqrt(a))``, at least 2. The safety factor ``beta``
(``SimConfig.seat_safety``, default 1.5) is the headroom: at 1.5 the normal hour sits at
Erlang C's 80/20 line (a team with 6.75 Erlangs on 10 seats answers 84 % within 20 s), so
a forecast of it dips below by chance; 2.5 (13 seats, 98 %) leaves room. (Callers who hang
up shorten the queue: measured, more calls are answered in time than Erlang C says.) A contact
waits FIFO for a free seat (urgent, high and VIP in a priority lane). Email and web go
through a per-team FIFO inbox worked at 1.3x the average normal arrival rate, so backlogs
build over the day and drain at night; under surge they grow.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping

from streams.simulator.profiles import Draws
from streams.simulator.ticket import State, Ticket

RT_AHT = 340.0  # mean real-time session (assign -> seat released), measured; sizes the seats
DEFAULT_SEAT_SAFETY = 1.5  # the square-root rule's safety factor (module docstring)
INBOX_HEADROOM = 1.3
INBOX_CAP = 5 * 86400.0  # no mail waits longer in the inbox


def seats_for(load: float, safety: float = DEFAULT_SEAT_SAFETY) -> int:
    """Seats for an offered ``load`` (Erlangs) by the square-root rule, at least 2."""
    return max(2, math.ceil(load + safety * math.sqrt(load)))


class Seats:
    """The real-time seats of every team; ``assign(t, ticket)`` is called when a seat is free."""

    def __init__(
        self,
        peak_load: Mapping[str, float],
        draws: Draws,
        assign: Callable[[float, Ticket], None],
        safety: float = DEFAULT_SEAT_SAFETY,
    ) -> None:
        self.peak_load = dict(peak_load)  # team -> offered load (erlang) at the weekday peak
        self.safety = safety
        self.draws = draws
        self.assign = assign
        teams = list(peak_load)
        self.staff = {name: 2 for name in teams}
        self.busy = {name: 0 for name in teams}
        self.queue_hi: dict[str, deque[Ticket]] = {name: deque() for name in teams}
        self.queue_lo: dict[str, deque[Ticket]] = {name: deque() for name in teams}
        self.queue_dead = {name: 0 for name in teams}  # abandoned tickets still in a queue

    def set_staff(self, factor: float) -> None:
        """Seats for the hour whose load is ``factor`` x the peak."""
        for name, peak in self.peak_load.items():
            self.staff[name] = seats_for(peak * factor, self.safety)

    def request(self, t: float, tk: Ticket) -> None:
        """A seat of ``tk.team`` now (routed within 1-8 s), else a place in its queue."""
        team = tk.team
        if self.busy[team] < self.staff[team]:
            self.busy[team] += 1
            tk.session = True
            self.assign(t + 1.0 + 7.0 * self.draws.random(), tk)
            return
        tk.queued = True
        if tk.urgent:
            self.queue_hi[team].append(tk)
        else:
            self.queue_lo[team].append(tk)

    def release(self, t: float, team: str) -> None:
        self.busy[team] -= 1
        self.drain(t, team)

    def end_session(self, t: float, tk: Ticket) -> None:
        """``tk`` gives its seat back, if it holds one."""
        if tk.session:
            tk.session = False
            self.release(t, tk.team)

    def drain(self, t: float, team: str) -> None:
        """Free seats of ``team`` to the queue's head (routed within 1-5 s)."""
        hi = self.queue_hi[team]
        lo = self.queue_lo[team]
        while self.busy[team] < self.staff[team] and (hi or lo):
            tk = hi.popleft() if hi else lo.popleft()
            if not tk.queued:  # abandoned (or re-queued elsewhere) meanwhile
                self.queue_dead[team] -= 1
                continue
            tk.queued = False
            if tk.team != team or tk.state != State.OPEN:
                continue
            self.busy[team] += 1
            tk.session = True
            self.assign(t + 1.0 + 4.0 * self.draws.random(), tk)

    def leave_queue(self, tk: Ticket) -> None:
        """``tk`` hangs up while queued (it stays in the deque, skipped, until compacted)."""
        tk.queued = False
        team = tk.team
        self.queue_dead[team] += 1
        if self.queue_dead[team] > 256:
            for queues in (self.queue_hi, self.queue_lo):
                queues[team] = deque(tk for tk in queues[team] if tk.queued)
            self.queue_dead[team] = 0


class Inbox:
    """Each team's FIFO inbox of email and web tickets, worked at a fixed rate."""

    def __init__(self, rates: Mapping[str, float], start: float, draws: Draws) -> None:
        self.rates = dict(rates)  # team -> tickets worked per second
        self.free = {name: start for name in rates}  # when the team next takes one
        self.draws = draws

    def take(self, t: float, team: str) -> float:
        """When a ticket arriving at ``t`` is assigned."""
        free = max(self.free[team], t) + self.draws.exp_rate(self.rates[team])
        free = min(free, t + INBOX_CAP)
        self.free[team] = free
        return free
