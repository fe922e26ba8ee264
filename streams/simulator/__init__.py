"""Deterministic contact-centre simulator producing contract interaction events.

``ContactCentre(config, start).events(until)`` yields plain, JSON-ready dicts that follow
CONTRACT.md section 1: every event has ``event_id`` (``f"{seed}-{n}"``), ``type``,
``ticket_id`` (the Kafka key, ``f"T{seed}-{n}"``) and ``ts`` (RFC 3339, millisecond precision,
``+00:00`` offset).  Events come lazily in non-decreasing ``ts`` order.  The same seed and
config give the same events byte for byte; all randomness comes from one seeded
``random.Random`` (never the global generator).  Successive ``events()`` calls on the same
object continue the same simulation.

It is a discrete-event simulation: a heap of scheduled future actions ``(t, seq, code,
ticket)``.  Each ticket keeps exactly one "main" action in the heap (its next step) plus a few
side actions after resolution (survey, QA, reopen, close), so memory is bounded by the open
tickets.  A ticket is dropped once closed or abandoned.

Model and numbers (all times are simulated seconds; ``Exp(m)`` = exponential, mean m):

Arrivals
    Poisson process whose rate is constant within each hour (redrawn at every hour, exact by
    memorylessness).  ``arrivals_per_hour`` is the mean at the weekday peak; the rate is
    multiplied by an hour-of-day profile (UTC is taken as the centre's local time): 0.05 of
    peak at 02-04h, 0.4 at 07h, 0.9-1.0 between 09h and 16h (lunch dip 0.85 at 12h), 0.5 at
    18h, 0.13 at 23h; Saturdays x0.5, Sundays x0.35 (see ``HOUR_PROFILE`` and
    ``WEEKDAY_FACTOR``).  ``flat_arrivals=True`` disables both.  Scenario "surge" multiplies
    the rate by ``surge_factor`` (staffing is *not* scaled, so queues, first-response times
    and abandonment grow).
Ticket attributes
    team: technical 45 %, billing 35 %, sales 20 % (unknown team names weigh like billing);
    channel: phone 35 %, chat 25 %, email 25 %, web 10 %, social 5 %;
    category: inquiry 50 %, request 25 %, incident 13 %, complaint 12 %;
    priority: urgent 5 %, high 15 %, normal 60 %, low 20 % (incidents: 20/35/40/5 %);
    customers: 200 000 ids, every tenth one is VIP (so ~10 % of contacts).
    Priority scales waiting/answer times: urgent x0.25, high x0.5, normal x1, low x1.6; VIP x0.6.
Phone and chat (real time)
    Each team has agent seats, staffed hour by hour (workforce management) with the
    square-root rule for the *normal* load: ``ceil(a + 1.5 sqrt(a))``, at least 2, where
    ``a = rate x 60 % real-time share x team share x profile(hour) x 340 s`` (340 s = measured
    mean session).  A contact queues FIFO (urgent/high/VIP in a priority lane) until a seat is
    free, is routed in 1-8 s, and the agent speaks first 2-6 s (phone) or 5-40 s (chat) after
    ``ticket.assigned``.  Customers' patience is 5 s + Exp(180 s) on phone and
    15 s + Exp(240 s) on chat (x1.5 VIP); a contact not answered by then sends
    ``contact.abandoned``, so the abandon share grows with the wait.  Measured (seed 1):
    first response median 9 s phone / 30 s chat, abandonment ~5 % phone / ~7 % chat in
    "normal", ~50 % under a x3 surge.  Conversation turns: agent talk time Exp(150 s) phone /
    Exp(90 s) chat (``work_seconds``), customer answers 10 s + Exp(20 s) / Exp(45 s) later.
    The seat is held until the session resolves, is paused or is transferred (a transfer
    queues for a seat of the new team); later follow-ups are answered asynchronously.
Email and web (asynchronous)
    Per-team FIFO inbox worked at 1.3x the average normal arrival rate (so backlogs build over
    the day and drain at night; under surge they grow), capped at 5 days; urgent, high and
    VIP mail skip the inbox (assigned after Exp(900 s x priority factor)).  Social: assigned
    after Exp(900 s x factor).  The agent answers Exp(600 s) (social Exp(300 s)) after being
    assigned, writing work Exp(300 s).  Measured email first response with the daily profile:
    median ~1-2 h, p90 ~6-7 h.  Customers write back after Exp(4 h) (web 3 h, social 1 h),
    agents answer again after Exp(2 h x factor) (social 30 min, follow-ups of phone/chat 1 h).
After each public agent reply
    transfer 6 % (1 % for an already transferred ticket; to another team; ``ticket.transferred``
    then a new ``ticket.assigned`` from the new team); pause 7 % (80 % ``pending`` resumed by
    the customer's reply after Exp(3 h), 20 % ``on_hold`` resumed by the agent, both by a
    ``ticket.status open``; real-time pauses Exp(1 h)); resolve ``0.45 + 0.15 x (replies-1)``
    (capped 0.85; incidents -0.10, complaints -0.05); else the customer writes back.
    Before a public reply the agent writes an internal note (``public: false``) 10 % of the
    time.
After ``ticket.resolved`` (``work_seconds`` = wrap-up Exp(60 s) real time / Exp(120 s) async)
    ``ticket.closed`` after 30 min + Exp(2 h) (phone/chat) or 1 h + Exp(8 h) (async);
    reopened (``ticket.reopened`` then ``message.customer``) with 6 % (second time 3 %) after
    Exp(3 h) if still before the close; one survey per ticket with 30 % probability after
    Exp(5 min) (real time) or Exp(2 h) (async), dropped if it would come after the close:
    csat 70 %, nps 20 %, ces 10 %; one QA review (score 0-100, ~N(84, 8) minus penalties,
    one decimal) for 10 % of the tickets, between resolution and close.
    Satisfaction latent ``s = 4.5 - 0.6 slow_first_response - 0.3 slow_resolution
    - 0.5 transfers - 0.9 reopens - 0.4 complaint + N(0, 0.7)``, where ``slow_x =
    min(3, max(0, log2(actual / target)))`` with targets 60 s / 1 h (first response,
    real time / async) and 15 min / 24 h (resolution).  csat = round(s) in 1-5;
    nps = round(2.5 (s - 1) + 0.5 + N(0, 1)) in 0-10; ces = round(1 + 1.5 (s - 1) + N(0, 0.7))
    in 1-7 (CES 2.0 scale: 7 = very easy).  Surveys are never sent for abandoned contacts.
    Measured CSAT (share of 4-5): ~84 % "normal", ~67 % under a x3 surge.
Volume
    ~7.7 events per ticket.  Throughput (CPython 3.11, one core, 1M events, CPU time):
    ~420 000 events/s at the default 120/h, ~370 000 at 2 000/h, ~280 000 at a flat
    3 600/h (a larger heap of open tickets).
Outage scenario
    Between ``start + outage_start`` and ``start + outage_end`` the agents of ``outage_team``
    do nothing visible: no ``message.agent`` (public or note), no ``ticket.resolved``, no
    transfer or pause.  Routing still assigns contacts to them (they just wait; real-time
    callers mostly abandon).  Postponed actions resume after the outage, in the original order,
    compressed into half the outage length (backlog drain).  With ``outage_end=None`` they
    never happen.  Customers, surveys and QA reviews continue.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from random import Random
from typing import Any

_floor = math.floor
# Exp(mean) is drawn inline as ``-_log(1.0 - rng.random()) * mean``: exactly what
# ``Random.expovariate`` computes, without a Python-level call on the hot path.
_log = math.log
_heappush = heapq.heappush

__all__ = ["HOUR_PROFILE", "SCENARIOS", "WEEKDAY_FACTOR", "ContactCentre", "SimConfig", "iso"]

SCENARIOS = ("normal", "surge", "outage")

# Share of the peak arrival rate, by hour of the day (UTC taken as local time).
HOUR_PROFILE: tuple[float, ...] = (
    0.10, 0.07, 0.05, 0.05, 0.05, 0.08, 0.18, 0.40,  # 00-07
    0.70, 0.90, 1.00, 1.00, 0.85, 0.90, 1.00, 0.95,  # 08-15
    0.85, 0.70, 0.50, 0.40, 0.30, 0.25, 0.18, 0.13,  # 16-23
)  # fmt: skip
# Monday = 0 ... Sunday = 6.
WEEKDAY_FACTOR: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.35)


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    scenario: str = "normal"
    teams: tuple[str, ...] = ("billing", "technical", "sales")
    arrivals_per_hour: float = 120.0  # mean at the daily peak; varies by hour of day
    outage_team: str = "technical"  # in "outage": this team stops answering ...
    outage_start: float = 0.0  # ... from start+outage_start seconds ...
    outage_end: float | None = None  # ... until start+outage_end (None: until the end)
    surge_factor: float = 3.0  # in "surge": arrivals x surge_factor
    flat_arrivals: bool = False  # True: no hour-of-day profile


# --------------------------------------------------------------------------- timestamps

_HH_MM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{sec:02d}." for sec in range(60))
_MS_OFFSET = tuple(f"{ms:03d}+00:00" for ms in range(1000))
_iso_day = -(2**62)
_iso_date = ""


def iso(ts: float) -> str:
    """RFC 3339 UTC timestamp with millisecond precision, e.g. ``2026-11-23T09:15:02.123+00:00``.

    Truncates to the millisecond, so ``a <= b`` implies ``iso(a) <= iso(b)``.  Pure arithmetic
    and table look-ups with the date of the last day cached: ~0.3 us a call, about 6x cheaper
    than ``datetime.fromtimestamp(ts, UTC).isoformat()`` (measured on CPython 3.11).
    """
    global _iso_day, _iso_date
    ms = _floor(ts * 1000.0)
    sec, milli = divmod(ms, 1000)
    day, sod = divmod(sec, 86400)
    if day != _iso_day:
        _iso_date = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        _iso_day = day
    return f"{_iso_date}{_HH_MM[sod // 60]}{_SS[sod % 60]}{_MS_OFFSET[milli]}"


# --------------------------------------------------------------------------- model constants

_CHANNELS = ("phone", "chat", "email", "web", "social")
_CHANNEL_CW = (35, 60, 85, 95, 100)
_CATEGORIES = ("inquiry", "request", "incident", "complaint")
_CATEGORY_CW = (50, 75, 88, 100)
_PRIORITIES = ("urgent", "high", "normal", "low")
_PRIORITY_CW = (5, 20, 80, 100)
_PRIORITY_CW_INCIDENT = (20, 55, 95, 100)
_PRIORITY_SPEED = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 1.6}
_TEAM_WEIGHT = {"technical": 45.0, "billing": 35.0, "sales": 20.0}
_DEFAULT_TEAM_WEIGHT = 35.0
_CUSTOMERS = 200_000
_AGENTS_PER_TEAM = 40
_REVIEWERS = ("qa-1", "qa-2", "qa-3", "qa-4")
_SURVEY_KINDS = ("csat", "csat", "csat", "csat", "csat", "csat", "csat", "nps", "nps", "ces")

# Mean real-time session length (assign -> seat released), measured with flat arrivals;
# used to size the seats.  Offered load = rate x AHT; seats = load / 0.8.
_RT_AHT = 340.0
_RT_SAFETY = 1.5
_INBOX_HEADROOM = 1.3
_INBOX_CAP = 5 * 86400.0

# ticket states
_OPEN, _PAUSED, _RESOLVED, _CLOSED, _ABANDONED = range(5)

# action codes
(
    _A_ARRIVAL,
    _A_SHIFT,
    _A_ASSIGN,
    _A_AGENT,
    _A_CUSTOMER,
    _A_TRANSFER,
    _A_PAUSE,
    _A_RESUME,
    _A_RESOLVE,
    _A_REOPEN,
    _A_CLOSE,
    _A_SURVEY,
    _A_QA,
    _A_ABANDON,
) = range(14)


class _Ticket:
    __slots__ = (
        "agent",
        "category",
        "channel",
        "close_at",
        "created",
        "first_reply",
        "hold",
        "noted",
        "phone",
        "priority",
        "queued",
        "reopens",
        "replies",
        "reviewed",
        "rt",
        "session",
        "speed",
        "state",
        "surveyed",
        "team",
        "tid",
        "transfers",
    )

    def __init__(
        self, tid: str, team: str, channel: str, priority: str, category: str, vip: bool, t: float
    ) -> None:
        self.tid = tid
        self.team = team
        self.channel = channel
        self.priority = priority
        self.category = category
        self.created = t
        self.rt = channel == "phone" or channel == "chat"
        self.phone = channel == "phone"
        self.speed = _PRIORITY_SPEED[priority] * (0.6 if vip else 1.0)
        self.agent = ""
        self.state = _OPEN
        self.first_reply = -1.0
        self.replies = 0
        self.transfers = 0
        self.reopens = 0
        self.session = False  # holds a real-time seat
        self.queued = False  # waits in a real-time queue
        self.noted = False  # internal note already written for the pending reply
        self.hold = False  # current pause is on_hold (agent resumes) rather than pending
        self.close_at = -1.0
        self.surveyed = False
        self.reviewed = False


class ContactCentre:
    """A simulated contact centre; see the module docstring for the model."""

    def __init__(self, config: SimConfig, start: float) -> None:
        if config.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {config.scenario!r}; expected one of {SCENARIOS}")
        if not config.teams or len(set(config.teams)) != len(config.teams):
            raise ValueError("teams must be a non-empty tuple of distinct names")
        if not config.arrivals_per_hour > 0:
            raise ValueError("arrivals_per_hour must be > 0")
        if config.scenario == "surge" and not config.surge_factor > 0:
            raise ValueError("surge_factor must be > 0")
        if config.scenario == "outage" and config.outage_team not in config.teams:
            raise ValueError(f"outage_team {config.outage_team!r} is not one of the teams")
        self.config = config
        self.start = float(start)
        self._seed = config.seed
        self._eid = f"{config.seed}-"
        self._rng = Random(config.seed)
        self._flat = config.flat_arrivals
        rate = config.arrivals_per_hour / 3600.0
        self._lam = rate * (config.surge_factor if config.scenario == "surge" else 1.0)
        self._teams = config.teams
        weights = [_TEAM_WEIGHT.get(name, _DEFAULT_TEAM_WEIGHT) for name in config.teams]
        total = sum(weights)
        self._team_cw = list(itertools.accumulate(w / total for w in weights))
        self._team_cw[-1] = 1.0
        self._agents = {
            name: tuple(f"{name}-{k:03d}" for k in range(1, _AGENTS_PER_TEAM + 1))
            for name in config.teams
        }
        self._others = {name: tuple(o for o in config.teams if o != name) for name in config.teams}
        if config.scenario == "outage":
            self._o_team: str | None = config.outage_team
            self._o_start = self.start + config.outage_start
            self._o_end = math.inf if config.outage_end is None else self.start + config.outage_end
        else:
            self._o_team = None
            self._o_start = self._o_end = math.inf
        # Real-time seats: sized for the normal weekday peak.
        mean_profile = 1.0 if self._flat else _mean_profile()
        self._peak_load: dict[str, float] = {}
        self._mu: dict[str, float] = {}
        for name, w in zip(config.teams, weights, strict=True):
            share = w / total
            rt_rate = rate * share * 0.60
            self._peak_load[name] = rt_rate * _RT_AHT
            # email + web not in the priority lane: 35 % x ~73 %
            inbox_rate = rate * share * 0.35 * 0.73
            self._mu[name] = _INBOX_HEADROOM * inbox_rate * mean_profile
        self._staff = {name: 2 for name in config.teams}
        self._busy = {name: 0 for name in config.teams}
        self._queue_hi: dict[str, deque[_Ticket]] = {name: deque() for name in config.teams}
        self._queue_lo: dict[str, deque[_Ticket]] = {name: deque() for name in config.teams}
        self._queue_dead = {name: 0 for name in config.teams}
        self._inbox_free = {name: self.start for name in config.teams}
        self._n_events = 0
        self._n_tickets = 0
        self._next = itertools.count().__next__
        self._heap: list[tuple[float, int, int, _Ticket | None]] = []
        self._handlers: tuple[Callable[[float, Any], dict[str, Any] | None], ...] = (
            self._arrival,
            self._shift,
            self._assign,
            self._agent,
            self._customer,
            self._transfer,
            self._pause,
            self._resume,
            self._resolve,
            self._reopen,
            self._close,
            self._survey,
            self._qa,
            self._abandon,
        )
        self._set_staff(self.start)
        self._hour_end = (math.floor(self.start / 3600.0) + 1) * 3600.0
        _heappush(self._heap, (self._hour_end, self._next(), _A_SHIFT, None))
        self._schedule_arrival(self.start)

    # ------------------------------------------------------------------ public API

    def events(self, until: float | None = None) -> Iterator[dict[str, Any]]:
        """Yield events lazily in ``ts`` order up to ``until`` (POSIX seconds, inclusive).

        ``until=None`` runs forever.  A later call continues where the previous one stopped.
        """
        heap = self._heap
        pop = heapq.heappop
        handlers = self._handlers
        limit = math.inf if until is None else until
        while heap and heap[0][0] <= limit:
            t, _, code, tk = pop(heap)
            ev = handlers[code](t, tk)
            if ev is not None:
                yield ev

    # ------------------------------------------------------------------ helpers

    def _push(self, t: float, code: int, tk: _Ticket | None) -> None:
        _heappush(self._heap, (t, self._next(), code, tk))

    def _profile(self, t: float) -> float:
        hours = int(t // 3600.0)
        return HOUR_PROFILE[hours % 24] * WEEKDAY_FACTOR[(hours // 24 + 3) % 7]

    def _postpone(self, t: float, code: int, tk: _Ticket) -> None:
        if self._o_end != math.inf:
            self._push(self._o_end + (t - self._o_start) * 0.5, code, tk)

    def _set_staff(self, t: float) -> None:
        factor = 1.0 if self._flat else self._profile(t)
        for name, peak in self._peak_load.items():
            load = peak * factor
            self._staff[name] = max(2, math.ceil(load + _RT_SAFETY * math.sqrt(load)))

    def _rt_request(self, t: float, tk: _Ticket) -> None:
        team = tk.team
        if self._busy[team] < self._staff[team]:
            self._busy[team] += 1
            tk.session = True
            _heappush(self._heap, (t + 1.0 + 7.0 * self._rng.random(), self._next(), _A_ASSIGN, tk))
            return
        tk.queued = True
        if tk.speed < 0.75:
            self._queue_hi[team].append(tk)
        else:
            self._queue_lo[team].append(tk)

    def _rt_release(self, t: float, team: str) -> None:
        self._busy[team] -= 1
        self._rt_drain(t, team)

    def _rt_drain(self, t: float, team: str) -> None:
        hi = self._queue_hi[team]
        lo = self._queue_lo[team]
        while self._busy[team] < self._staff[team] and (hi or lo):
            tk = hi.popleft() if hi else lo.popleft()
            if not tk.queued:  # abandoned (or re-queued elsewhere) meanwhile
                self._queue_dead[team] -= 1
                continue
            tk.queued = False
            if tk.team != team or tk.state != _OPEN:
                continue
            self._busy[team] += 1
            tk.session = True
            _heappush(self._heap, (t + 1.0 + 4.0 * self._rng.random(), self._next(), _A_ASSIGN, tk))

    def _end_session(self, t: float, tk: _Ticket) -> None:
        if tk.session:
            tk.session = False
            self._rt_release(t, tk.team)

    # ------------------------------------------------------------------ action handlers

    def _schedule_arrival(self, t: float) -> None:
        """Next arrival of the Poisson process whose rate is constant within the hour.

        An arrival drawn past the hour is not scheduled: the hourly shift action draws again
        from the hour's start with the new rate (exact, as the process is memoryless).
        """
        rate = self._lam if self._flat else self._lam * self._profile(t)
        nxt = t + (-_log(1.0 - self._rng.random()) / rate)
        if nxt < self._hour_end:
            _heappush(self._heap, (nxt, self._next(), _A_ARRIVAL, None))

    def _arrival(self, t: float, _: _Ticket | None) -> dict[str, Any] | None:
        rng = self._rng
        rnd = rng.random
        self._schedule_arrival(t)
        self._n_tickets += 1
        team = self._teams[bisect(self._team_cw, rnd())]
        channel = _CHANNELS[bisect(_CHANNEL_CW, rnd() * 100.0)]
        category = _CATEGORIES[bisect(_CATEGORY_CW, rnd() * 100.0)]
        pcw = _PRIORITY_CW_INCIDENT if category == "incident" else _PRIORITY_CW
        priority = _PRIORITIES[bisect(pcw, rnd() * 100.0)]
        cust = int(rnd() * _CUSTOMERS)
        vip = cust % 10 == 0
        tk = _Ticket(f"T{self._seed}-{self._n_tickets}", team, channel, priority, category, vip, t)
        if tk.rt:
            if tk.phone:
                patience = 5.0 + (-_log(1.0 - rng.random()) * 180.0)
            else:
                patience = 15.0 + (-_log(1.0 - rng.random()) * 240.0)
            if vip:
                patience *= 1.5
            _heappush(self._heap, (t + patience, self._next(), _A_ABANDON, tk))
            self._rt_request(t, tk)
        elif channel == "social" or tk.speed < 0.75:
            _heappush(
                self._heap,
                (t + (-_log(1.0 - rng.random()) * (900.0 * tk.speed)), self._next(), _A_ASSIGN, tk),
            )
        else:
            free = max(self._inbox_free[team], t) + (-_log(1.0 - rng.random()) / self._mu[team])
            free = min(free, t + _INBOX_CAP)
            self._inbox_free[team] = free
            _heappush(self._heap, (free, self._next(), _A_ASSIGN, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.created",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "team": team,
            "channel": channel,
            "priority": priority,
            "customer_id": f"C{cust:06d}",
            "customer_tier": "vip" if vip else "standard",
            "category": category,
        }

    def _shift(self, t: float, _: _Ticket | None) -> None:
        self._hour_end = t + 3600.0
        _heappush(self._heap, (self._hour_end, self._next(), _A_SHIFT, None))
        self._schedule_arrival(t)
        self._set_staff(t)
        for name in self._teams:
            self._rt_drain(t, name)
        return None

    def _assign(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            self._end_session(t, tk)
            return None
        rng = self._rng
        tk.agent = self._agents[tk.team][int(rng.random() * _AGENTS_PER_TEAM)]
        if tk.session:
            delay = 2.0 + 4.0 * rng.random() if tk.phone else 5.0 + 35.0 * rng.random()
        else:
            delay = -_log(1.0 - rng.random()) * (300.0 if tk.channel == "social" else 600.0)
        _heappush(self._heap, (t + delay, self._next(), _A_AGENT, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.assigned",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "team": tk.team,
        }

    def _agent(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            return None
        if tk.team == self._o_team and self._o_start <= t < self._o_end:
            self._postpone(t, _A_AGENT, tk)
            return None
        rng = self._rng
        rnd = rng.random
        session = tk.session
        if not tk.noted and rnd() < 0.10:
            tk.noted = True
            gap = 20.0 + 40.0 * rnd() if session else (-_log(1.0 - rng.random()) * 600.0)
            _heappush(self._heap, (t + gap, self._next(), _A_AGENT, tk))
            self._n_events = n = self._n_events + 1
            return {
                "event_id": f"{self._eid}{n}",
                "type": "message.agent",
                "ticket_id": tk.tid,
                "ts": iso(t),
                "agent_id": tk.agent,
                "public": False,
                "work_seconds": round(gap * 0.8, 1),
            }
        tk.noted = False
        tk.replies += 1
        if tk.first_reply < 0:
            tk.first_reply = t
        if session:
            work = -_log(1.0 - rng.random()) * (150.0 if tk.phone else 90.0)
        else:
            work = -_log(1.0 - rng.random()) * 300.0
        end = t + work if session else t
        r = rnd()
        p_transfer = (0.06 if tk.transfers == 0 else 0.01) if len(self._teams) > 1 else 0.0
        p_pause = p_transfer + 0.07
        p_resolve = min(0.85, 0.45 + 0.15 * (tk.replies - 1))
        if tk.category == "incident":
            p_resolve -= 0.10
        elif tk.category == "complaint":
            p_resolve -= 0.05
        if r < p_transfer:
            gap = 5.0 + 25.0 * rnd() if session else (-_log(1.0 - rng.random()) * 900.0)
            _heappush(self._heap, (end + gap, self._next(), _A_TRANSFER, tk))
        elif r < p_pause:
            gap = 10.0 + 50.0 * rnd() if session else 60.0 * rnd()
            _heappush(self._heap, (end + gap, self._next(), _A_PAUSE, tk))
        elif r < p_pause + p_resolve * (1.0 - p_pause):
            gap = 10.0 + 50.0 * rnd() if session else 60.0 * rnd()
            _heappush(self._heap, (end + gap, self._next(), _A_RESOLVE, tk))
        else:
            if session:
                gap = -_log(1.0 - rng.random()) * (30.0 if tk.phone else 60.0)
            else:
                ch = tk.channel
                mean = 3600.0 if ch == "social" else 10800.0 if ch == "web" else 14400.0
                gap = -_log(1.0 - rng.random()) * mean
            _heappush(self._heap, (end + gap, self._next(), _A_CUSTOMER, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "message.agent",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "public": True,
            "work_seconds": round(work, 1),
        }

    def _customer(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            return None
        rng = self._rng
        if tk.session:
            gap = 10.0 + (-_log(1.0 - rng.random()) * (20.0 if tk.phone else 45.0))
        else:
            ch = tk.channel
            if ch == "social":
                mean = 1800.0
            elif tk.rt:
                mean = 3600.0
            else:
                mean = 7200.0
            gap = -_log(1.0 - rng.random()) * (mean * tk.speed)
        _heappush(self._heap, (t + gap, self._next(), _A_AGENT, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "message.customer",
            "ticket_id": tk.tid,
            "ts": iso(t),
        }

    def _transfer(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            return None
        if tk.team == self._o_team and self._o_start <= t < self._o_end:
            self._postpone(t, _A_TRANSFER, tk)
            return None
        rng = self._rng
        old = tk.team
        others = self._others[old]
        new = others[int(rng.random() * len(others))]
        tk.transfers += 1
        if tk.session:
            tk.session = False
            self._rt_release(t, old)
            tk.team = new
            self._rt_request(t, tk)
        else:
            tk.team = new
            _heappush(
                self._heap,
                (
                    t + (-_log(1.0 - rng.random()) * (1800.0 * tk.speed)),
                    self._next(),
                    _A_ASSIGN,
                    tk,
                ),
            )
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.transferred",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "from_team": old,
            "to_team": new,
        }

    def _pause(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            return None
        if tk.team == self._o_team and self._o_start <= t < self._o_end:
            self._postpone(t, _A_PAUSE, tk)
            return None
        rng = self._rng
        rt = tk.session
        self._end_session(t, tk)
        tk.state = _PAUSED
        tk.hold = rng.random() < 0.2
        _heappush(
            self._heap,
            (
                t + (-_log(1.0 - rng.random()) * (3600.0 if rt else 10800.0)),
                self._next(),
                _A_RESUME,
                tk,
            ),
        )
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.status",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "status": "on_hold" if tk.hold else "pending",
        }

    def _resume(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _PAUSED:
            return None
        tk.state = _OPEN
        if tk.hold:  # the third party answered: the agent writes again
            _heappush(
                self._heap,
                (t + (-_log(1.0 - self._rng.random()) * 600.0), self._next(), _A_AGENT, tk),
            )
        else:  # the customer answered
            _heappush(self._heap, (t, self._next(), _A_CUSTOMER, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.status",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "status": "open",
        }

    def _resolve(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN:
            return None
        if tk.team == self._o_team and self._o_start <= t < self._o_end:
            self._postpone(t, _A_RESOLVE, tk)
            return None
        rng = self._rng
        rnd = rng.random
        rt = tk.rt
        self._end_session(t, tk)
        tk.state = _RESOLVED
        if rt:
            close_at = t + 1800.0 + (-_log(1.0 - rng.random()) * 7200.0)
        else:
            close_at = t + 3600.0 + (-_log(1.0 - rng.random()) * 28800.0)
        tk.close_at = close_at
        _heappush(self._heap, (close_at, self._next(), _A_CLOSE, tk))
        if not tk.surveyed and rnd() < 0.30:
            tk.surveyed = True
            at = t + (-_log(1.0 - rng.random()) * (300.0 if rt else 7200.0))
            if at < close_at:
                _heappush(self._heap, (at, self._next(), _A_SURVEY, tk))
        if not tk.reviewed and rnd() < 0.10:
            tk.reviewed = True
            _heappush(
                self._heap, (t + (close_at - t) * (0.2 + 0.7 * rnd()), self._next(), _A_QA, tk)
            )
        p_reopen = 0.06 if tk.reopens == 0 else 0.03 if tk.reopens == 1 else 0.0
        if rnd() < p_reopen:
            at = t + (-_log(1.0 - rng.random()) * 10800.0)
            if at < close_at:
                _heappush(self._heap, (at, self._next(), _A_REOPEN, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.resolved",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "work_seconds": round((-_log(1.0 - rng.random()) * (60.0 if rt else 120.0)), 1),
        }

    def _reopen(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _RESOLVED:
            return None
        tk.state = _OPEN
        tk.reopens += 1
        _heappush(self._heap, (t, self._next(), _A_CUSTOMER, tk))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.reopened",
            "ticket_id": tk.tid,
            "ts": iso(t),
        }

    def _close(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _RESOLVED or tk.close_at != t:
            return None  # reopened meanwhile; a later resolution schedules a new close
        tk.state = _CLOSED
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "ticket.closed",
            "ticket_id": tk.tid,
            "ts": iso(t),
        }

    def _satisfaction(self, t: float, tk: _Ticket) -> float:
        if tk.rt:
            frt_target, res_target = 60.0, 900.0
        else:
            frt_target, res_target = 3600.0, 86400.0
        frt = max(tk.first_reply - tk.created, 1.0)
        res = max(t - tk.created, 1.0)
        slow_frt = min(3.0, max(0.0, math.log2(frt / frt_target)))
        slow_res = min(3.0, max(0.0, math.log2(res / res_target)))
        s = 4.5 - 0.6 * slow_frt - 0.3 * slow_res - 0.5 * tk.transfers - 0.9 * tk.reopens
        if tk.category == "complaint":
            s -= 0.4
        return s

    def _survey(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state == _CLOSED or tk.state == _ABANDONED:
            return None
        rng = self._rng
        s = self._satisfaction(t, tk) + rng.gauss(0.0, 0.7)
        kind = _SURVEY_KINDS[int(rng.random() * len(_SURVEY_KINDS))]
        if kind == "csat":
            score = min(5, max(1, round(s)))
        elif kind == "nps":
            score = min(10, max(0, round(2.5 * (s - 1.0) + 0.5 + rng.gauss(0.0, 1.0))))
        else:
            score = min(7, max(1, round(1.0 + 1.5 * (s - 1.0) + rng.gauss(0.0, 0.7))))
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "survey.response",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "kind": kind,
            "score": int(score),
        }

    def _qa(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state == _CLOSED or tk.state == _ABANDONED:
            return None
        rng = self._rng
        score = rng.gauss(84.0, 8.0) - 6.0 * tk.transfers - 8.0 * tk.reopens
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "qa.review",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "score": round(min(100.0, max(0.0, score)), 1),
            "reviewer_id": _REVIEWERS[int(rng.random() * len(_REVIEWERS))],
        }

    def _abandon(self, t: float, tk: _Ticket) -> dict[str, Any] | None:
        if tk.state != _OPEN or tk.first_reply >= 0:
            return None
        tk.state = _ABANDONED
        if tk.queued:
            tk.queued = False
            team = tk.team
            self._queue_dead[team] += 1
            if self._queue_dead[team] > 256:
                self._compact(team)
        self._end_session(t, tk)
        self._n_events = n = self._n_events + 1
        return {
            "event_id": f"{self._eid}{n}",
            "type": "contact.abandoned",
            "ticket_id": tk.tid,
            "ts": iso(t),
        }

    def _compact(self, team: str) -> None:
        for queues in (self._queue_hi, self._queue_lo):
            queues[team] = deque(tk for tk in queues[team] if tk.queued)
        self._queue_dead[team] = 0


def _mean_profile() -> float:
    return sum(HOUR_PROFILE) * sum(WEEKDAY_FACTOR) / (24 * 7)
