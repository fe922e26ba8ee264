"""Per-ticket state and its SLA clocks.

A ``Clock`` measures SLA-clock time (counted calendar time outside pauses)
for one target and one cycle. It is *active* from start until stopped; while
active it is either running (time counts from ``since``) or paused.
"""

from __future__ import annotations

from binascii import a2b_base64, b2a_base64
from collections.abc import Callable
from typing import Any, Final

import orjson

from streams.core.calendar import Calendar
from streams.core.policy import NO_POLICY, Policy

# ticket states
# Final: a compiled core (deploy/build-core.sh) reads them as constants, not from a dict
OPEN: Final = "open"
RESOLVED: Final = "resolved"
ABANDONED: Final = "abandoned"
CLOSED: Final = "closed"
ORPHAN: Final = "orphan"
FIRST_RESPONSE: Final = 0
NEXT_REPLY: Final = 1
RESOLUTION: Final = 2
STINT: Final = 3  # the deadline queue's index of a team stint's OLA clock (Ticket.stint)
INF: Final = float("inf")
MAX_SEEN_IDS: Final = 4096  # event ids a ticket remembers to recognise a repeat (its latest ones)
DIGEST_SIZE: Final = 8  # bytes of an event id's digest (Engine.apply)
MAX_SINCE_RESOLVED: Final = 64  # messages a resolved ticket keeps for a reopen that may follow them
ROW_LENGTH: Final = 24  # fields of a flat state record (Ticket.to_row)
ANSWERED: Final = 1  # a flat state record's flag bits
TRANSFERRED: Final = 2
PAUSED: Final = 4


def held_text(raw: Any) -> str:
    """A held event as its raw JSON text (what a state record stores and a DLQ forwards)."""
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8-sig")
    if isinstance(raw, str):
        return raw[1:] if raw[:1] == "\ufeff" else raw
    return orjson.dumps(raw).decode()


class Clock:
    """One SLA clock cycle.

    ``elapsed`` is the counted time up to ``since``; while running, counted
    time from ``since`` is added on top. ``deadline`` is the instant the
    target is reached if the clock keeps running (inf when paused or when
    the target is not measured).
    """

    __slots__ = (
        "breached",
        "deadline",
        "elapsed",
        "risk_at",
        "running",
        "since",
        "started",
        "target",
    )

    def __init__(self, target: float | None, since: float, elapsed: float = 0.0) -> None:
        self.target = target
        self.started = since  # when this cycle started (the ledger's "started")
        self.elapsed = elapsed
        self.since = since
        self.running = False
        # "" until its deadline passes unmet; then the team the breach was counted under
        # (the ledger's row keeps it when the clock stops later, under another team)
        self.breached = ""
        self.deadline = INF
        self.risk_at: float | None = None  # lazily computed at-risk instant, see Engine.gauges

    def resume(self, at: float, calendar: Calendar) -> float:
        """Start counting at ``at``; returns the new deadline (inf if none)."""
        self.running = True
        self.since = at
        self.risk_at = None
        target = self.target
        if target is None or self.breached:
            self.deadline = INF
        else:
            self.deadline = calendar.add(at, max(0.0, target - self.elapsed))
        return self.deadline

    def pause(self, at: float, calendar: Calendar) -> None:
        if self.running:
            self.elapsed += calendar.counted(self.since, at) if at > self.since else 0.0
            self.since = at
            self.running = False
            self.deadline = INF
            self.risk_at = None

    def value(self, at: float, calendar: Calendar) -> float:
        """SLA-clock time measured up to ``at``."""
        if self.running and at > self.since:
            return self.elapsed + calendar.counted(self.since, at)
        return self.elapsed

    def to_state(self) -> list[Any]:
        deadline = None if self.deadline == INF else self.deadline  # JSON has no infinity
        return [
            self.target,
            self.elapsed,
            self.since,
            self.running,
            self.breached,
            deadline,
            self.started,
        ]

    def to_row(self) -> list[Any]:
        """``to_state`` without ``started`` when it equals ``since`` (a clock never paused)."""
        deadline = None if self.deadline == INF else self.deadline
        row = [self.target, self.elapsed, self.since, self.running, self.breached, deadline]
        if self.started != self.since:
            row.append(self.started)
        return row

    @classmethod
    def from_state(cls, state: list[Any]) -> Clock:
        clock = cls(state[0], state[2], state[1])
        clock.running, clock.breached = state[3], state[4] or ""
        clock.deadline = INF if state[5] is None else state[5]
        if len(state) > 6:  # absent from snapshots taken before the ledger
            clock.started = state[6]
        return clock


class Ticket:
    """What the engine remembers of one interaction."""

    __slots__ = (
        "answered",
        "asked",
        "assignee",
        "category",
        "channel",
        "created_ts",
        "customer_tier",
        "held",
        "last_ts",
        "paused",
        "policy",
        "priority",
        "public_replies",
        "reopens",
        "replier",
        "reply_clock",
        "resolution_clock",
        "resolved_ts",
        "resolver",
        "response_clock",
        "seen",
        "since_resolved",
        "state",
        "stint",
        "stints",
        "team",
        "ticket_id",
        "transferred",
    )

    def __init__(self, ticket_id: str) -> None:
        self.ticket_id = ticket_id
        self.state = ORPHAN
        self.team = self.channel = self.priority = ""
        self.customer_tier = "standard"
        self.category = "inquiry"
        self.policy: Policy = NO_POLICY  # chosen at creation, kept across hand-offs
        self.created_ts = 0.0
        self.last_ts = 0.0
        self.answered = False  # a public agent response was given
        self.public_replies = 0
        self.transferred = False
        self.paused = False
        # the active clock of each target (None when not active): three slots, not a list,
        # so an open ticket is one object less for the garbage collector and 64 bytes less
        self.response_clock: Clock | None = None  # FIRST_RESPONSE
        self.reply_clock: Clock | None = None  # NEXT_REPLY
        self.resolution_clock: Clock | None = None  # RESOLUTION
        # clock cycles so far, which number the ledger's rows: next-reply clocks started,
        # reopens (a resolution cycle each) and team stints (first response: one cycle, 0)
        self.asked = self.reopens = self.stints = 0
        self.stint: Clock | None = None  # the current team's hold on the ticket (OLA clock)
        # 8-byte digests of the latest accepted event_ids, oldest first, end to end: one
        # small bytes object (a dict of bytes keys cost ~300 bytes more per open ticket)
        self.seen = b""
        self.held: list[str] | None = None  # raw events waiting for ticket.created
        # agent ids ("" when none): assigned, last public replier, credited with the last resolution
        self.assignee = self.replier = self.resolver = ""
        self.resolved_ts = 0.0  # the latest resolution
        # messages that arrived while resolved, (ts, from the customer), replaced never mutated
        # (transaction.py restores fields, not lists): a reopen that comes later counts them
        self.since_resolved: list[tuple[float, bool]] | None = None

    @property
    def clocks(self) -> tuple[Clock | None, Clock | None, Clock | None]:
        """The active clock of each target, indexed like TARGETS (None when not active)."""
        return (self.response_clock, self.reply_clock, self.resolution_clock)

    def clock(self, target: int) -> Clock | None:
        """The active clock of ``target`` (FIRST_RESPONSE, NEXT_REPLY or RESOLUTION)."""
        if target == FIRST_RESPONSE:
            return self.response_clock
        return self.reply_clock if target == NEXT_REPLY else self.resolution_clock

    def set_clock(self, target: int, clock: Clock | None) -> None:
        """Make ``clock`` the active clock of ``target`` (None: none active)."""
        if target == FIRST_RESPONSE:
            self.response_clock = clock
        elif target == NEXT_REPLY:
            self.reply_clock = clock
        else:
            self.resolution_clock = clock

    def clear_clocks(self) -> None:
        """No clock of any target active."""
        self.response_clock = self.reply_clock = self.resolution_clock = None

    @property
    def labels(self) -> tuple[str, str, str, str]:
        """The contract's label set L: team, channel, priority, customer_tier."""
        return (self.team, self.channel, self.priority, self.customer_tier)

    @property
    def reopened(self) -> bool:
        """Whether the customer has ever reopened it (no first-contact resolution then)."""
        return self.reopens > 0

    @property
    def fields(self) -> dict[str, str]:
        """The fields a policy matches on."""
        return {
            "team": self.team,
            "channel": self.channel,
            "priority": self.priority,
            "customer_tier": self.customer_tier,
            "category": self.category,
        }

    def has_seen(self, digest: bytes) -> bool:
        """Whether an event id's 8-byte digest is among the remembered ones."""
        seen = self.seen
        at = seen.find(digest)
        while at >= 0:
            if not at & 7:  # a match must start at a digest's boundary
                return True
            at = seen.find(digest, at + 1)
        return False

    def remember(self, digest: bytes) -> None:
        """Remember an event id's digest; beyond ``MAX_SEEN_IDS`` the oldest is forgotten."""
        seen = self.seen
        if len(seen) >= MAX_SEEN_IDS * DIGEST_SIZE:
            seen = seen[DIGEST_SIZE:]
        self.seen = seen + digest

    @property
    def remembered(self) -> int:
        """How many event ids the ticket remembers."""
        return len(self.seen) // DIGEST_SIZE

    def note_since_resolved(self, ts: float, customer: bool) -> None:
        """Keep a message that arrived while resolved, within ``MAX_SINCE_RESOLVED``."""
        kept = self.since_resolved or []
        self.since_resolved = [*kept[-(MAX_SINCE_RESOLVED - 1) :], (ts, customer)]

    def to_state(self) -> dict[str, Any]:
        """A JSON-ready snapshot (the worker keeps it in a Faust table)."""
        state = self._state()
        if self.state == RESOLVED:  # what a later reopen needs
            state["r"] = [self.resolved_ts, self.since_resolved or []]
        return state

    def _state(self) -> dict[str, Any]:
        return {
            "id": self.ticket_id,
            "s": self.state,
            "f": [self.team, self.channel, self.priority, self.customer_tier, self.category],
            "p": self.policy.name,
            "t": [self.created_ts, self.last_ts],
            "a": [self.answered, self.public_replies, self.transferred, self.reopened, self.paused],
            "c": [None if clock is None else clock.to_state() for clock in self.clocks],
            "e": self.seen.hex(),
            "h": self.held,
            "g": [self.assignee, self.replier, self.resolver],
            "y": [self.asked, self.reopens, self.stints],
            "n": None if self.stint is None else self.stint.to_state(),
        }

    def to_row(self) -> list[Any]:
        """The flat state record of the worker's changelog (format 2, :meth:`from_row`).

        What :meth:`to_state` holds, as one list in a fixed order instead of a dict of
        lists, so that it decodes faster and unpacks straight into the slots: the flags
        as one number, the event-id digests in base64, a clock's ``started`` only when it
        differs from ``since``, no ticket id (the record's key). About 30 % fewer bytes.
        """
        first, reply, resolution = self.response_clock, self.reply_clock, self.resolution_clock
        stint = self.stint
        resolved = None
        if self.state == RESOLVED:  # what a later reopen needs
            resolved = [self.resolved_ts, self.since_resolved or []]
        return [
            self.state,
            self.team,
            self.channel,
            self.priority,
            self.customer_tier,
            self.category,
            self.policy.name,
            self.created_ts,
            self.last_ts,
            (ANSWERED if self.answered else 0)
            | (TRANSFERRED if self.transferred else 0)
            | (PAUSED if self.paused else 0),
            self.public_replies,
            self.asked,
            self.reopens,
            self.stints,
            self.assignee,
            self.replier,
            self.resolver,
            b2a_base64(self.seen, newline=False).decode(),
            self.held,
            None if first is None else first.to_row(),
            None if reply is None else reply.to_row(),
            None if resolution is None else resolution.to_row(),
            None if stint is None else stint.to_row(),
            resolved,
        ]

    @classmethod
    def from_row(cls, ticket_id: str, row: list[Any], policy: Callable[[str], Policy]) -> Ticket:
        """Rebuild a ticket from :meth:`to_row`'s record; ``policy`` resolves a policy name."""
        if len(row) != ROW_LENGTH:
            raise ValueError(f"a ticket record of {len(row)} fields, not {ROW_LENGTH}")
        ticket = cls(ticket_id)
        (
            ticket.state,
            ticket.team,
            ticket.channel,
            ticket.priority,
            ticket.customer_tier,
            ticket.category,
            name,
            ticket.created_ts,
            ticket.last_ts,
            flags,
            ticket.public_replies,
            ticket.asked,
            ticket.reopens,
            ticket.stints,
            ticket.assignee,
            ticket.replier,
            ticket.resolver,
            seen,
            held,
            first,
            reply,
            resolution,
            stint,
            resolved,
        ) = row
        ticket.policy = policy(name)
        ticket.answered = flags & ANSWERED != 0
        ticket.transferred = flags & TRANSFERRED != 0
        ticket.paused = flags & PAUSED != 0
        ticket.seen = a2b_base64(seen)
        ticket.held = held or None
        from_state = Clock.from_state
        if first is not None:
            ticket.response_clock = from_state(first)
        if reply is not None:
            ticket.reply_clock = from_state(reply)
        if resolution is not None:
            ticket.resolution_clock = from_state(resolution)
        if stint is not None:
            ticket.stint = from_state(stint)
        if resolved is not None:
            ticket.resolved_ts = resolved[0]
            ticket.since_resolved = [(ts, customer) for ts, customer in resolved[1]] or None
        return ticket

    @classmethod
    def from_state(cls, state: dict[str, Any], policy: Callable[[str], Policy]) -> Ticket:
        """Rebuild a ticket; ``policy`` resolves a policy name."""
        ticket = cls(state["id"])
        ticket.state = state["s"]
        (ticket.team, ticket.channel, ticket.priority, ticket.customer_tier, ticket.category) = (
            state["f"]
        )
        ticket.policy = policy(state["p"])
        ticket.created_ts, ticket.last_ts = state["t"]
        (
            ticket.answered,
            ticket.public_replies,
            ticket.transferred,
            reopened,
            ticket.paused,
        ) = state["a"]
        for target, c in enumerate(state["c"]):
            clock = None if c is None else Clock.from_state(c)
            if clock is not None and clock.breached is True:  # older snapshots: a bool
                clock.breached = ticket.team
            ticket.set_clock(target, clock)
        seen = bytes.fromhex(state["e"])
        digests = (
            seen[i : i + DIGEST_SIZE] for i in range(0, len(seen) - DIGEST_SIZE + 1, DIGEST_SIZE)
        )
        ticket.seen = b"".join(dict.fromkeys(digests))  # whole digests, each once
        ticket.held = [held_text(raw) for raw in state["h"]] if state["h"] else None
        if "g" in state:  # absent from snapshots taken before per-agent figures
            ticket.assignee, ticket.replier, ticket.resolver = state["g"]
        if "y" in state:  # absent from snapshots taken before the ledger
            ticket.asked, ticket.reopens, ticket.stints = state["y"]
            ticket.stint = None if state["n"] is None else Clock.from_state(state["n"])
        elif reopened:
            ticket.reopens = 1
        if "r" in state:  # resolved tickets only
            ticket.resolved_ts = state["r"][0]
            kept = [(ts, customer) for ts, customer in state["r"][1]]
            ticket.since_resolved = kept or None
        return ticket
