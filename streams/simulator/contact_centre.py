"""The contact centre: a discrete-event simulation of tickets from arrival to close.

A heap of scheduled future actions ``(t, seq, action, ticket)``. Each ticket keeps exactly one
"main" action in the heap (its next step) plus a few side actions after resolution (survey,
QA, reopen, close), so memory is bounded by the open tickets. A ticket is dropped once closed
or abandoned. Each action's handler may write one event and schedules what follows; the
model and its numbers are described in the package's docstring.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any

from streams.simulator import feedback, profiles
from streams.simulator.events import Event, EventWriter
from streams.simulator.profiles import Draws
from streams.simulator.scenarios import Outage, SimConfig, arrival_factor, check, surge_begins
from streams.simulator.staffing import INBOX_HEADROOM, RT_AHT, Inbox, Seats
from streams.simulator.ticket import State, Ticket


class Action(IntEnum):
    ARRIVAL = 0
    SHIFT = 1  # the hour changes: new arrival rate and staffing
    ASSIGN = 2
    AGENT = 3  # the agent writes (a public reply or an internal note)
    CUSTOMER = 4
    TRANSFER = 5
    PAUSE = 6
    RESUME = 7
    RESOLVE = 8
    REOPEN = 9
    CLOSE = 10
    SURVEY = 11
    QA = 12
    ABANDON = 13
    SURGE = 14  # the surge begins: arrivals drawn again at the surged rate


Handler = Callable[[float, Any], Event | None]


class ContactCentre:
    """A simulated contact centre; ``events(until)`` yields its events in ``ts`` order."""

    def __init__(self, config: SimConfig, start: float) -> None:
        check(config)
        self.config = config
        self.start = float(start)
        self._draw = Draws(config.seed)
        self._out = EventWriter(config.seed)
        self._outage = Outage(config, self.start)
        self._flat = config.flat_arrivals
        rate = config.arrivals_per_hour / 3600.0
        self._lam = rate
        self._surge = arrival_factor(config)
        self._surge_at = surge_begins(config, self.start)
        self._teams = config.teams
        default = profiles.DEFAULT_TEAM_WEIGHT
        weights = [profiles.TEAM_WEIGHT.get(name, default) for name in config.teams]
        total = sum(weights)
        self._team_cw = list(itertools.accumulate(w / total for w in weights))
        self._team_cw[-1] = 1.0
        self._agents = {
            name: tuple(f"{name}-{k:03d}" for k in range(1, profiles.AGENTS_PER_TEAM + 1))
            for name in config.teams
        }
        self._others = {name: tuple(o for o in config.teams if o != name) for name in config.teams}
        # Seats sized for the normal weekday peak (60 % of contacts are real time); the
        # inboxes work email + web outside the priority lane (35 % x ~73 %) with headroom.
        mean_profile = 1.0 if self._flat else profiles.mean_profile()
        shares = {name: w / total for name, w in zip(config.teams, weights, strict=True)}
        peak_load = {name: rate * share * 0.60 * RT_AHT for name, share in shares.items()}
        inbox_rates = {
            name: INBOX_HEADROOM * (rate * share * 0.35 * 0.73) * mean_profile
            for name, share in shares.items()
        }
        self._seats = Seats(
            peak_load,
            self._draw,
            lambda t, tk: self._at(t, Action.ASSIGN, tk),
            config.seat_safety,
        )
        self._inbox = Inbox(inbox_rates, self.start, self._draw)
        self._n_tickets = 0
        self._seq = itertools.count().__next__
        self._heap: list[tuple[float, int, Action, Ticket | None]] = []
        self._handlers: dict[Action, Handler] = {
            Action.ARRIVAL: self._arrival,
            Action.SHIFT: self._shift,
            Action.ASSIGN: self._assign,
            Action.AGENT: self._agent,
            Action.CUSTOMER: self._customer,
            Action.TRANSFER: self._transfer,
            Action.PAUSE: self._pause,
            Action.RESUME: self._resume,
            Action.RESOLVE: self._resolve,
            Action.REOPEN: self._reopen,
            Action.CLOSE: self._close,
            Action.SURVEY: self._survey,
            Action.QA: self._qa,
            Action.ABANDON: self._abandon,
            Action.SURGE: self._surge_begins,
        }
        self._set_staff(self.start)
        self._hour_end = (math.floor(self.start / 3600.0) + 1) * 3600.0
        self._at(self._hour_end, Action.SHIFT, None)
        self._schedule_arrival(self.start)
        if self.start < self._surge_at < math.inf and self._surge_at % 3600.0:
            self._at(self._surge_at, Action.SURGE, None)  # on the hour, the shift redraws

    def seats(self) -> dict[str, int]:
        """Each team's real-time seats this hour (its workforce plan for the hour)."""
        return dict(self._seats.staff)

    def events(self, until: float | None = None) -> Iterator[Event]:
        """Yield events lazily in ``ts`` order up to ``until`` (POSIX seconds, inclusive).

        ``until=None`` runs forever.  A later call continues where the previous one stopped.
        """
        heap = self._heap
        limit = math.inf if until is None else until
        while heap and heap[0][0] <= limit:
            t, _, action, tk = heapq.heappop(heap)
            event = self._handlers[action](t, tk)
            if event is not None:
                yield event

    # ------------------------------------------------------------------ scheduling

    def _at(self, t: float, action: Action, tk: Ticket | None) -> None:
        """Schedule ``action`` at ``t`` (after the ones already scheduled at ``t``)."""
        heapq.heappush(self._heap, (t, self._seq(), action, tk))

    def _silenced(self, t: float, action: Action, tk: Ticket) -> bool:
        """The team is in its outage: ``action`` is postponed (or dropped), nothing happens."""
        if not self._outage.silences(tk.team, t):
            return False
        resumed = self._outage.resumed_at(t)
        if resumed is not None:
            self._at(resumed, action, tk)
        return True

    def _set_staff(self, t: float) -> None:
        self._seats.set_staff(1.0 if self._flat else profiles.profile(t))

    def _schedule_arrival(self, t: float) -> None:
        """Next arrival of the Poisson process whose rate is constant within the hour.

        An arrival drawn past the hour (or past the surge's start) is not scheduled: the
        hourly shift (or the surge) action draws again from then with the new rate (exact,
        as the process is memoryless).
        """
        rate = self._lam if self._flat else self._lam * profiles.profile(t)
        until = self._hour_end
        if t >= self._surge_at:
            rate *= self._surge
        else:
            until = min(until, self._surge_at)
        nxt = t + self._draw.exp_rate(rate)
        if nxt < until:
            self._at(nxt, Action.ARRIVAL, None)

    # ------------------------------------------------------------------ arrivals and routing

    def _arrival(self, t: float, _: None) -> Event:
        draw = self._draw
        self._schedule_arrival(t)
        self._n_tickets += 1
        team = draw.weighted(self._teams, self._team_cw, 1.0)
        channel = draw.weighted(profiles.CHANNELS, profiles.CHANNEL_CW, 100.0)
        category = draw.weighted(profiles.CATEGORIES, profiles.CATEGORY_CW, 100.0)
        incident = category == "incident"
        priorities = profiles.PRIORITY_CW_INCIDENT if incident else profiles.PRIORITY_CW
        priority = draw.weighted(profiles.PRIORITIES, priorities, 100.0)
        customer = draw.index(profiles.CUSTOMERS)
        tid = f"T{self.config.seed}-{self._n_tickets}"
        tk = Ticket(tid, team, channel, priority, category, customer, t)
        if tk.rt:  # waits for a seat, until the customer's patience runs out
            patience = 5.0 + draw.exp(180.0) if tk.phone else 15.0 + draw.exp(240.0)
            if tk.vip:
                patience *= 1.5
            self._at(t + patience, Action.ABANDON, tk)
            self._seats.request(t, tk)
        elif channel == "social" or tk.urgent:
            self._at(t + draw.exp(900.0 * tk.speed), Action.ASSIGN, tk)
        else:
            self._at(self._inbox.take(t, team), Action.ASSIGN, tk)
        return self._out.created(t, tk)

    def _surge_begins(self, t: float, _: None) -> None:
        """An arrival drawn past this instant was not scheduled (as at the hour's end)."""
        self._schedule_arrival(t)

    def _shift(self, t: float, _: None) -> None:
        self._hour_end = t + 3600.0
        self._at(self._hour_end, Action.SHIFT, None)
        self._schedule_arrival(t)
        self._set_staff(t)
        for name in self._teams:
            self._seats.drain(t, name)
        return None

    def _assign(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN:
            self._seats.end_session(t, tk)
            return None
        draw = self._draw
        tk.agent = draw.pick(self._agents[tk.team])
        if tk.session:  # the agent speaks first 2-6 s (phone) or 5-40 s (chat) later
            delay = 2.0 + 4.0 * draw.random() if tk.phone else 5.0 + 35.0 * draw.random()
        else:
            delay = draw.exp(300.0 if tk.channel == "social" else 600.0)
        self._at(t + delay, Action.AGENT, tk)
        return self._out.assigned(t, tk)

    # ------------------------------------------------------------------ the conversation

    def _agent(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN or self._silenced(t, Action.AGENT, tk):
            return None
        draw = self._draw
        session = tk.session
        greeting = self.config.greet_first and tk.phone and tk.first_reply < 0
        if not tk.noted and not greeting and draw.random() < 0.10:  # a note before the reply
            tk.noted = True
            gap = 20.0 + 40.0 * draw.random() if session else draw.exp(600.0)
            self._at(t + gap, Action.AGENT, tk)
            return self._out.agent_message(t, tk, False, gap * 0.8)
        tk.noted = False
        tk.replies += 1
        if tk.first_reply < 0:
            tk.first_reply = t
        work = draw.exp(150.0 if tk.phone else 90.0) if session else draw.exp(300.0)
        self._after_reply(t + work if session else t, tk)
        return self._out.agent_message(t, tk, True, work)

    def _after_reply(self, end: float, tk: Ticket) -> None:
        """What follows a public reply ending at ``end``: transfer, pause, resolve or wait."""
        draw = self._draw
        session = tk.session
        r = draw.random()
        p_transfer = (0.06 if tk.transfers == 0 else 0.01) if len(self._teams) > 1 else 0.0
        p_pause = p_transfer + 0.07
        p_resolve = min(0.85, 0.45 + 0.15 * (tk.replies - 1))
        if tk.category == "incident":
            p_resolve -= 0.10
        elif tk.category == "complaint":
            p_resolve -= 0.05
        if r < p_transfer:
            gap = 5.0 + 25.0 * draw.random() if session else draw.exp(900.0)
            self._at(end + gap, Action.TRANSFER, tk)
        elif r < p_pause:
            gap = 10.0 + 50.0 * draw.random() if session else 60.0 * draw.random()
            self._at(end + gap, Action.PAUSE, tk)
        elif r < p_pause + p_resolve * (1.0 - p_pause):
            gap = 10.0 + 50.0 * draw.random() if session else 60.0 * draw.random()
            self._at(end + gap, Action.RESOLVE, tk)
        else:  # the customer writes back
            if session:
                gap = draw.exp(30.0 if tk.phone else 60.0)
            else:
                ch = tk.channel
                gap = draw.exp(3600.0 if ch == "social" else 10800.0 if ch == "web" else 14400.0)
            self._at(end + gap, Action.CUSTOMER, tk)

    def _customer(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN:
            return None
        draw = self._draw
        if tk.session:
            gap = 10.0 + draw.exp(20.0 if tk.phone else 45.0)
        else:  # answered later: social 30 min, follow-ups of phone/chat 1 h, else 2 h
            mean = 1800.0 if tk.channel == "social" else 3600.0 if tk.rt else 7200.0
            gap = draw.exp(mean * tk.speed)
        self._at(t + gap, Action.AGENT, tk)
        return self._out.customer_message(t, tk)

    def _transfer(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN or self._silenced(t, Action.TRANSFER, tk):
            return None
        old = tk.team
        new = self._draw.pick(self._others[old])
        tk.transfers += 1
        if tk.session:  # queues for a seat of the new team
            tk.session = False
            self._seats.release(t, old)
            tk.team = new
            self._seats.request(t, tk)
        else:
            tk.team = new
            self._at(t + self._draw.exp(1800.0 * tk.speed), Action.ASSIGN, tk)
        return self._out.transferred(t, tk, old, new)

    def _pause(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN or self._silenced(t, Action.PAUSE, tk):
            return None
        draw = self._draw
        rt = tk.session
        self._seats.end_session(t, tk)
        tk.state = State.PAUSED
        tk.hold = draw.random() < 0.2
        self._at(t + draw.exp(3600.0 if rt else 10800.0), Action.RESUME, tk)
        return self._out.status(t, tk, "on_hold" if tk.hold else "pending")

    def _resume(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.PAUSED:
            return None
        tk.state = State.OPEN
        if tk.hold:  # the third party answered: the agent writes again
            self._at(t + self._draw.exp(600.0), Action.AGENT, tk)
        else:  # the customer answered
            self._at(t, Action.CUSTOMER, tk)
        return self._out.status(t, tk, "open")

    # ------------------------------------------------------------------ resolution and after

    def _resolve(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN or self._silenced(t, Action.RESOLVE, tk):
            return None
        draw = self._draw
        rt = tk.rt
        self._seats.end_session(t, tk)
        tk.state = State.RESOLVED
        # closed 30 min + Exp(2 h) (real time) or 1 h + Exp(8 h) after the resolution
        close_at = t + 1800.0 + draw.exp(7200.0) if rt else t + 3600.0 + draw.exp(28800.0)
        tk.close_at = close_at
        self._at(close_at, Action.CLOSE, tk)
        if not tk.surveyed and draw.random() < 0.30:  # dropped if it comes after the close
            tk.surveyed = True
            at = t + draw.exp(300.0 if rt else 7200.0)
            if at < close_at:
                self._at(at, Action.SURVEY, tk)
        if not tk.reviewed and draw.random() < 0.10:
            tk.reviewed = True
            self._at(t + (close_at - t) * (0.2 + 0.7 * draw.random()), Action.QA, tk)
        p_reopen = 0.06 if tk.reopens == 0 else 0.03 if tk.reopens == 1 else 0.0
        if draw.random() < p_reopen:
            at = t + draw.exp(10800.0)
            if at < close_at:
                self._at(at, Action.REOPEN, tk)
        return self._out.resolved(t, tk, draw.exp(60.0 if rt else 120.0))  # wrap-up

    def _reopen(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.RESOLVED:
            return None
        tk.state = State.OPEN
        tk.reopens += 1
        self._at(t, Action.CUSTOMER, tk)
        return self._out.reopened(t, tk)

    def _close(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.RESOLVED or tk.close_at != t:
            return None  # reopened meanwhile; a later resolution schedules a new close
        tk.state = State.CLOSED
        return self._out.closed(t, tk)

    def _survey(self, t: float, tk: Ticket) -> Event | None:
        if tk.state == State.CLOSED or tk.state == State.ABANDONED:
            return None
        kind, score = feedback.survey(t, tk, self._draw)
        return self._out.survey(t, tk, kind, score)

    def _qa(self, t: float, tk: Ticket) -> Event | None:
        if tk.state == State.CLOSED or tk.state == State.ABANDONED:
            return None
        score = feedback.qa_score(tk, self._draw)
        return self._out.qa_review(t, tk, score, self._draw.pick(profiles.REVIEWERS))

    def _abandon(self, t: float, tk: Ticket) -> Event | None:
        if tk.state != State.OPEN or tk.first_reply >= 0:
            return None
        tk.state = State.ABANDONED
        if tk.queued:
            self._seats.leave_queue(tk)
        self._seats.end_session(t, tk)
        return self._out.abandoned(t, tk)
