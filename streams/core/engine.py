"""The service-quality engine: a pure core, free of Kafka, Faust and Prometheus.

``Engine.apply`` takes validated events of any ticket in any order and reports
facts (counter increments, histogram observations) to a ``FactSink``.
``Engine.advance(now)`` moves the engine's clock — the event clock in replay,
the wall clock live — and counts every SLA breach whose deadline has passed.
``Engine.gauges(now)`` derives the backlog gauges from the state on demand.

Decisions where the contract is silent are listed in docs/engine.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from hashlib import blake2b
from typing import Any, Final

from streams.core.agents import AgentFigures
from streams.core.backlog import (
    DeadlineFigures,
    Gauges,
    backlog_figures,
    deadline_figures,
    derive_gauges,
)
from streams.core.deadlines import DeadlineQueue, Entry, EventClock
from streams.core.events import EVENT_TYPES, UPDATABLE, Event, Rejected, decode, validate
from streams.core.facts import FactSink, Intake, RejectHook
from streams.core.policy import NO_POLICY, Policy, PolicySet
from streams.core.presence import Presence
from streams.core.records import Outcome, Record, RecordSink, Review, Stint, Survey
from streams.core.staffing import with_planned
from streams.core.teams import TeamBound
from streams.core.ticket import (
    ABANDONED,
    CLOSED,
    DIGEST_SIZE,
    FIRST_RESPONSE,
    INF,
    MAX_SEEN_IDS,
    NEXT_REPLY,
    OPEN,
    ORPHAN,
    RESOLUTION,
    RESOLVED,
    STINT,
    Clock,
    Ticket,
    held_text,
)
from streams.core.transaction import INC, FactBuffer, report_facts, restore, snapshot
from streams.core.vocabulary import TARGETS

log = logging.getLogger(__name__)
MAX_HELD_EVENTS: Final = 1000  # per ticket waiting for its ticket.created; more -> no_ticket
MAX_HELD_BYTES: Final = 256 * 1024  # likewise, in raw bytes (keeps a state record below 1 MB)
_PROCESSED: Final = {type_: (type_,) for type_ in EVENT_TYPES}  # events_processed' label tuples
_LATE_TYPES: Final = ("survey.response", "qa.review")  # what a closed ticket still takes
_SEEN_BYTES: Final = MAX_SEEN_IDS * DIGEST_SIZE  # Ticket.remember's window, in bytes
# BLAKE2b-64 before any input: a copy of it hashes an event id without parsing
# blake2b()'s keyword arguments each time (~30 % of the digest's cost)
_DIGEST: Final = blake2b(digest_size=DIGEST_SIZE)
MAX_POLICY_KEYS: Final = 4096  # distinct (team, channel, priority, tier, category) kept by _select


def event_digest(event_id: str) -> bytes:
    """A 64-bit digest of an event id, stable across processes (unlike ``hash``).

    A ticket remembers the digests of its latest events (``Ticket.remember``)
    to recognise a repeated ``event_id``.
    """
    hasher = _DIGEST.copy()
    hasher.update(event_id.encode())
    return hasher.digest()


class Engine:
    """Ticket state, SLA clocks and the deadline queue.

    What the engine keeps and forgets (``expire``, ``settle``, ``load``, ``drop``) is
    part of it rather than of a mixin or a collaborator: each of those reads and
    changes the same tickets, open set, held count and deadline queue as ``apply``,
    so a separate object would hold no state of its own.
    """

    def __init__(
        self,
        policies: PolicySet,
        sink: FactSink,
        on_reject: RejectHook | None = None,
        teams: TeamBound | None = None,  # shared by engines of one process (worker partitions)
    ) -> None:
        self.policies = policies
        self.sink = sink
        self.on_reject = on_reject
        self.tickets: dict[str, Ticket] = {}
        self.open: dict[str, Ticket] = {}  # tickets in state OPEN
        self.now = -INF
        # raised by every ``expire``: tickets whose last event lies before it were forgotten
        # (-inf for an engine that never expires: replay, whatif)
        self.retention_horizon = -INF
        self._deadlines = DeadlineQueue(self.open)
        self._event_clock = EventClock()
        self._buffer = FactBuffer(sink)
        self._teams = policies.team_bound() if teams is None else teams
        self._held = 0
        self._by_name = {p.name: p for p in policies.policies}
        self._policies: dict[tuple[str, str, str, str, str], Policy] = {}  # see _select
        self._targets: dict[str, tuple[str, ...]] = {}  # policy name -> targets (_labelled)
        self.agents = AgentFigures(policies, sink)  # per-agent facts (agents.py)
        self.presence = Presence()  # agents' statuses (agent.status)
        self.records: RecordSink | None = None  # ticket-level records (records.py), if wanted
        self._records: list[Record] = []  # records of the event being applied
        self._ola = policies.ola
        self._handlers: dict[str, Callable[[Ticket, Event], str | None]] = {
            "ticket.created": self._created,
            "ticket.assigned": self._assigned,
            "message.agent": self._agent_message,
            "message.customer": self._customer_message,
            "ticket.transferred": self._transferred,
            "ticket.status": self._status,
            "ticket.resolved": self._resolved,
            "ticket.reopened": self._reopened,
            "ticket.closed": self._closed,
            "contact.abandoned": self._abandoned,
            "survey.response": self._survey,
            "qa.review": self._qa_review,
            "ticket.updated": self._updated,
        }

    # ---- intake ----------------------------------------------------------------------------

    def ingest(self, raw: bytes | str | dict[str, Any], event_clock: bool = False) -> Intake:
        """The one intake: decode, validate, then reject or apply one raw event.

        With ``event_clock`` the engine's clock first advances to the event's
        time (replay, backfill, ``--clock event``). Returns the validated event
        (None when it did not parse) and the rejection reason (None when taken).
        """
        try:
            event = validate(decode(raw))
        except Rejected as rejected:
            return Intake(None, self.reject(raw, rejected.reason))
        if event_clock:
            self.advance(self._event_clock.believe(self.now, event.ts, event.ticket_id))
        return Intake(event, self.apply(event, raw))

    def take(self, raw: bytes | str | dict[str, Any], event_clock: bool = False) -> str | None:
        """``ingest(raw, event_clock).reason`` without building the ``Intake`` (replay's loop).

        An ``Intake`` is a named tuple, whose constructor is interpreted Python even with a
        compiled core (deploy/build-core.sh).
        """
        try:
            event = validate(decode(raw))
        except Rejected as rejected:
            return self.reject(raw, rejected.reason)
        if event_clock:
            self.advance(self._event_clock.believe(self.now, event.ts, event.ticket_id))
        return self.apply(event, raw)

    def reject(self, raw: Any, reason: str) -> str:
        self.sink.inc("events_rejected", (reason,))
        if self.on_reject is not None:
            self.on_reject(raw, reason)
        return reason

    def apply(self, event: Event, raw: Any = None) -> str | None:
        """Apply one validated event; returns the rejection reason or None."""
        if event.type == "agent.status":
            return self._agent_status(event, raw)
        ticket = self.tickets.get(event.ticket_id)
        if ticket is None:
            if event.ts < self.retention_horizon:  # its ticket may have been forgotten
                return self.reject(event.data if raw is None else raw, "no_ticket")
            ticket = self.tickets[event.ticket_id] = Ticket(event.ticket_id)
        hasher = _DIGEST.copy()  # event_digest(event.event_id), inlined: every event
        hasher.update(event.event_id.encode())
        digest = hasher.digest()
        # 8-byte digests: a false match is a 2^-64 chance
        # find, not `in`: bytes.__contains__ first tries the digest as an int and raises inside
        if ticket.seen.find(digest) >= 0 and ticket.has_seen(digest):
            self.sink.inc("events_duplicate", ())
            return None
        state = ticket.state
        if state == CLOSED and event.type not in _LATE_TYPES:
            ticket.remember(digest)  # a redelivery is a duplicate, not a second rejection
            return self.reject(event.data if raw is None else raw, "ticket_closed")
        if state == ORPHAN and event.type != "ticket.created":
            return self._hold(ticket, event, raw, digest)
        reason = self._transaction(ticket, event)
        if reason is not None:
            if ticket.state == ORPHAN and not ticket.held:
                del self.tickets[event.ticket_id]  # nothing worth remembering
            else:  # judged once: a redelivery is counted a duplicate, not rejected again
                ticket.remember(digest)
            return self.reject(event.data if raw is None else raw, reason)
        seen = ticket.seen  # ticket.remember(digest), inlined: every accepted event
        ticket.seen = (seen[DIGEST_SIZE:] if len(seen) >= _SEEN_BYTES else seen) + digest
        if ticket.held:
            self._release_held(ticket)
        return None

    def _hold(self, ticket: Ticket, event: Event, raw: Any, digest: bytes) -> str | None:
        """Keep an event (as its raw text) until its ticket.created comes, within bounds."""
        text = held_text(event.data if raw is None else raw)
        held = ticket.held if ticket.held is not None else []
        ticket.remember(digest)  # held or rejected: either way a redelivery is a duplicate
        if len(held) >= MAX_HELD_EVENTS or sum(map(len, held)) + len(text) > MAX_HELD_BYTES:
            return self.reject(text, "no_ticket")
        if event.ts > ticket.last_ts:
            ticket.last_ts = event.ts
        held.append(text)
        ticket.held = held
        self._held += 1
        return None

    def _transaction(self, ticket: Ticket, event: Event) -> str | None:
        """Apply one event to an open/new ticket all or nothing (see transaction.py)."""
        saved = snapshot(ticket)
        sink, buffer = self.sink, self._buffer
        if buffer.sink is not sink:  # the sink was replaced since
            buffer = self._buffer = FactBuffer(sink)
        self.sink = self.agents.sink = buffer  # the transaction owns every fact
        try:
            ts = event.ts
            heap = self._deadlines.heap
            # Every running clock's deadline is in the heap: when the earliest lies at or
            # after the event (always, on the event clock), no clock of this ticket is due.
            if heap and heap[0][0] < ts and ticket.state == OPEN:
                stint = ticket.stint
                if stint is not None and stint.deadline < ts:
                    self._catch_up(ticket, ts)
                else:
                    for clock in ticket.clocks:  # any deadline before the event: _catch_up
                        if clock is not None and clock.deadline < ts:
                            self._catch_up(ticket, ts)
                            break
            reason = self._handlers[event.type](ticket, event)
            if reason is None:  # accepted
                if ts > ticket.last_ts:
                    ticket.last_ts = ts
                type_ = event.type
                buffer.facts.append(
                    (INC, "events_processed", _PROCESSED.get(type_) or (type_,), 1.0)
                )
        except Exception:  # one event must never leave a ticket half-changed
            log.exception("event %.64r of ticket %.64r failed", event.event_id, ticket.ticket_id)
            buffer.facts.clear()
            self._records.clear()
            restore(ticket, saved)
            self._set_state(ticket, ticket.state)
            return "engine_error"
        finally:
            self.sink = self.agents.sink = sink
        facts = buffer.facts  # buffer.commit(), inlined: every event has a fact
        tables = buffer.tables
        if tables is not None:
            tables.add(facts)
        elif buffer.take is not None:
            buffer.take(facts)
        else:
            report_facts(sink, facts)
        facts.clear()
        if self._records:
            self._hand_records()
        return reason

    def _hand_records(self) -> None:
        records, self._records = self._records, []
        if self.records is not None:
            for record in records:
                self.records.record(record)

    def _release_held(self, ticket: Ticket) -> None:
        """Apply the events that arrived before ticket.created, in event-time order."""
        raws = ticket.held or []
        ticket.held = None
        self._held -= len(raws)
        held = []
        for raw in raws:
            try:
                held.append((validate(decode(raw)), raw))
            except Rejected as rejected:  # e.g. state written by an older version
                self.reject(raw, rejected.reason)
        held.sort(key=lambda pair: pair[0].ts)
        for event, raw in held:
            if ticket.state == CLOSED and event.type not in _LATE_TYPES:
                self.reject(raw, "ticket_closed")
                continue
            reason = self._transaction(ticket, event)
            if reason is not None:
                self.reject(raw, reason)

    # ---- the clock ---------------------------------------------------------------------------

    def advance(self, now: float) -> list[str]:
        """Move the clock to ``now``; count every breach whose deadline is before it.

        Returns the ids of the tickets a breach was counted for (their state changed).
        """
        if now > self.now:
            self.now = now
        breached: list[str] = []
        heap = self._deadlines.heap
        if not heap or heap[0][0] >= now:  # nothing due: most events
            return breached
        for entry in self._deadlines.due(now):
            if not self._live(entry):
                continue  # stale entry: the clock stopped, paused or moved since
            _, ticket_id, target = entry
            ticket = self.open[ticket_id]
            if target == STINT:
                self._ola_breached(ticket)
            else:
                ticket.clock(target).breached = ticket.team  # type: ignore[union-attr]
                self._outcome(ticket, target, "breached")
            breached.append(ticket_id)
        if self._records:
            self._hand_records()
        return breached

    def _live(self, entry: Entry) -> bool:
        """Whether a deadline-queue entry is still the deadline of a running clock."""
        return self._deadlines.is_live(entry)

    def _catch_up(self, ticket: Ticket, ts: float) -> None:
        """Count the ticket's breaches whose deadlines lie before its next event at ``ts``.

        Replay's clock passes them before the event anyway; a live clock may
        lag behind the event time (the worker's grace, partitions read at
        different speeds), and the breach must still be counted before the
        event changes the ticket (e.g. under the team before a transfer).
        """
        for target, clock in enumerate(ticket.clocks):
            if clock is not None and clock.running and not clock.breached and clock.deadline < ts:
                clock.breached = ticket.team  # its deadline-queue entry is now stale
                self._outcome(ticket, target, "breached")
        stint = ticket.stint
        if stint is not None and stint.running and not stint.breached and stint.deadline < ts:
            self._ola_breached(ticket)

    # ---- clocks ------------------------------------------------------------------------------

    def _start(self, ticket: Ticket, target: int, at: float, elapsed: float = 0.0) -> Clock:
        clock = Clock(ticket.policy.targets.get(TARGETS[target]), at, elapsed)
        if target == NEXT_REPLY:
            ticket.asked += 1
        ticket.set_clock(target, clock)
        if not ticket.paused:  # self._resume(...), inlined: a new clock's since is ``at``
            deadline = clock.resume(at, ticket.policy.calendar)
            if deadline != INF:
                self._deadlines.push(deadline, ticket.ticket_id, target)
        return clock

    def _resume(self, ticket: Ticket, target: int, clock: Clock, at: float) -> None:
        deadline = clock.resume(max(at, clock.since), ticket.policy.calendar)
        if deadline != INF:
            self._deadlines.push(deadline, ticket.ticket_id, target)

    def _stop(self, ticket: Ticket, target: int, at: float, agent: str = "") -> float | None:
        """Stop a clock: returns its SLA-clock value and counts it met or breached.

        ``agent`` is whoever stopped it (the ledger's agent; the assignee when not given).
        """
        clock = ticket.clock(target)
        if clock is None:
            return None
        ticket.set_clock(target, None)
        calendar = ticket.policy.calendar
        value = clock.value(at, calendar)
        if clock.target is not None:
            if not clock.breached:
                # running: past the deadline; paused: more counted time than the target
                late = at > clock.deadline if clock.running else value > clock.target
                self._outcome(ticket, target, "breached" if late else "met", clock, at, agent)
            elif self.records is not None:  # counted when it passed; now how late it ended
                self._record(ticket, target, "breached", clock, at, agent, value)
        return value

    def _outcome(
        self,
        ticket: Ticket,
        target: int,
        outcome: str,
        clock: Clock | None = None,
        stopped: float | None = None,
        agent: str = "",
    ) -> None:
        """Count an SLA outcome; the ledger also gets its row (the running clock unless given)."""
        labels = (
            ticket.team,
            ticket.channel,
            ticket.priority,
            ticket.customer_tier,
            ticket.policy.name,
            TARGETS[target],
            outcome,
        )
        self.sink.inc("sla_outcomes", labels)
        if self.records is not None:
            clock = clock or ticket.clock(target)
            if clock is not None:
                self._record(ticket, target, outcome, clock, stopped, agent)

    @staticmethod
    def _cycle(ticket: Ticket, target: int) -> int:
        """The number of the target's active clock: always its latest cycle."""
        if target == NEXT_REPLY:
            return ticket.asked - 1
        return ticket.reopens if target == RESOLUTION else 0

    def _record(
        self,
        ticket: Ticket,
        target: int,
        outcome: str,
        clock: Clock,
        stopped: float | None,
        agent: str,
        value: float | None = None,
    ) -> None:
        """The ledger's row of one (ticket, target, cycle) outcome.

        Lateness is SLA-clock time past the target: at the stop, or, for a breach counted
        while the clock runs, at that moment (0 when its deadline just passed). A breach
        keeps the team it was counted under, as its counter did, when it stops later.
        """
        limit = clock.target or 0.0
        if value is None:
            if stopped is not None:
                value = clock.value(stopped, ticket.policy.calendar)
            elif clock.running:
                value = max(limit, clock.elapsed)  # breached as its deadline passed
            else:
                value = clock.elapsed
        deadline = clock.deadline if clock.deadline != INF else None
        self._records.append(
            Outcome(
                ticket.ticket_id,
                TARGETS[target],
                self._cycle(ticket, target),
                clock.breached or ticket.team,  # a breach: the team it was counted under
                agent or ticket.assignee,
                ticket.channel,
                ticket.priority,
                ticket.customer_tier,
                ticket.category,
                ticket.policy.name,
                clock.started,
                deadline,
                stopped,
                outcome,
                value - limit,
            )
        )

    def _labelled(self, ticket: Ticket) -> None:
        """Report the ticket's label set (the exporter exposes its outcome series at 0)."""
        policy = ticket.policy
        key = (ticket.team, ticket.channel, ticket.priority, ticket.customer_tier, policy.name)
        targets = self._targets.get(policy.name)
        if targets is None:
            targets = self._targets[policy.name] = tuple(policy.targets)
        self.sink.labelled(key, targets)

    def _select(self, ticket: Ticket) -> Policy:
        """The ticket's policy by its fields (``PolicySet.select``), kept per field values.

        The key is five strings from bounded sets (teams are bounded by the policy
        file), so the dict stays small; it is the engine's own, as its policy set is.
        """
        key = (ticket.team, ticket.channel, ticket.priority, ticket.customer_tier, ticket.category)
        policy = self._policies.get(key)
        if policy is None:
            if len(self._policies) >= MAX_POLICY_KEYS:
                self._policies.clear()
            policy = self._policies[key] = self.policies.select(ticket.fields)
        return policy

    def _pause_all(self, ticket: Ticket, at: float) -> None:
        calendar = ticket.policy.calendar
        for clock in ticket.clocks:
            if clock is not None:
                clock.pause(max(at, clock.since), calendar)
        if ticket.stint is not None:
            ticket.stint.pause(max(at, ticket.stint.since), calendar)
        ticket.paused = True

    def _resume_all(self, ticket: Ticket, at: float) -> None:
        ticket.paused = False
        for target, clock in enumerate(ticket.clocks):
            if clock is not None:
                self._resume(ticket, target, clock, at)
        if ticket.stint is not None:
            self._resume_stint(ticket, ticket.stint, at)

    # ---- team stints: how long each team holds a ticket (the policy's ola) --------------------

    def _start_stint(self, ticket: Ticket, at: float) -> None:
        """The ticket's team (now) holds it from ``at``: creation, a hand-off or a reopen."""
        target = None if self._ola is None else self._ola.of(ticket.team)
        stint = ticket.stint = Clock(target, at, 0.0)
        ticket.stints += 1
        if not ticket.paused:
            self._resume_stint(ticket, stint, at)

    def _resume_stint(self, ticket: Ticket, stint: Clock, at: float) -> None:
        deadline = stint.resume(max(at, stint.since), ticket.policy.calendar)
        if deadline != INF:
            self._deadlines.push(deadline, ticket.ticket_id, STINT)

    def _end_stint(self, ticket: Ticket, at: float, by: str) -> None:
        """The team hands the ticket on (``by``: transfer, resolved, closed, abandoned)."""
        stint = ticket.stint
        if stint is None:
            return
        ticket.stint = None
        value = stint.value(at, ticket.policy.calendar)
        self.sink.observe("team_stint_seconds", (ticket.team,), value)
        outcome = ""
        if stint.target is not None:
            outcome = "breached" if stint.breached or value > stint.target else "met"
            if not stint.breached:
                self.sink.inc("ola_outcomes", (ticket.team, outcome))
        if self.records is not None:
            self._stint_record(ticket, stint, at, by, value, outcome)

    def _ola_breached(self, ticket: Ticket) -> None:
        """The team has held the ticket past its OLA: counted now, as SLA breaches are."""
        stint = ticket.stint
        assert stint is not None and stint.target is not None
        stint.breached = ticket.team
        self.sink.inc("ola_outcomes", (ticket.team, "breached"))
        if self.records is not None:
            self._stint_record(ticket, stint, None, "", stint.target, "breached")

    def _stint_record(
        self,
        ticket: Ticket,
        stint: Clock,
        ended: float | None,
        by: str,
        value: float,
        outcome: str,
    ) -> None:
        self._records.append(
            Stint(
                ticket.ticket_id,
                ticket.stints - 1,  # the current stint is the latest
                ticket.team,
                stint.started,
                ended,
                by,
                value,
                stint.target,
                outcome,
                ticket.policy.name,
            )
        )

    # ---- event handlers: return a rejection reason or None -------------------------------------

    def _created(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state != ORPHAN:
            return "invalid_state"
        data = event.data
        ticket.team = self._team(data["team"])
        ticket.channel = data["channel"]
        ticket.priority = data["priority"]
        ticket.customer_tier = data.get("customer_tier") or "standard"
        ticket.category = data.get("category") or "inquiry"
        ticket.policy = self._select(ticket)
        ticket.created_ts = event.ts
        ticket.state = OPEN
        self.open[ticket.ticket_id] = ticket
        self._start(ticket, FIRST_RESPONSE, event.ts)
        self._start(ticket, RESOLUTION, event.ts)
        self._start_stint(ticket, event.ts)
        self.sink.inc("tickets_created", ticket.labels)
        if ticket.category == "complaint":
            self.sink.inc("complaints", (ticket.team, ticket.channel))
        self._labelled(ticket)
        return None

    def _assigned(self, ticket: Ticket, event: Event) -> str | None:
        team = event.data.get("team")
        if team and self._teams.label(team) != ticket.team:
            self._hand_over(ticket, team, event.ts)
            self._labelled(ticket)
        self.agents.assigned(ticket, event.data["agent_id"])
        return None

    def _agent_message(self, ticket: Ticket, event: Event) -> str | None:
        data = event.data
        work = data.get("work_seconds")
        if work:
            self.sink.inc("agent_work_seconds", (ticket.team, ticket.channel), work)
        self.agents.message(ticket, data, work or 0.0)
        if data.get("public", True) is False:
            return None  # an internal note is not a response
        if ticket.state == RESOLVED:
            ticket.note_since_resolved(event.ts, False)
        ticket.public_replies += 1
        labels = ticket.labels
        agent = data["agent_id"]
        if not ticket.answered:
            ticket.answered = True
            value = self._stop(ticket, FIRST_RESPONSE, event.ts, agent)
            if value is not None:
                self.sink.observe("first_response_seconds", labels, value)
                self.agents.first_response(ticket, agent, value)
        value = self._stop(ticket, NEXT_REPLY, event.ts, agent)
        if value is not None:
            self.sink.observe("next_reply_seconds", labels, value)
        return None

    def _customer_message(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state == RESOLVED:  # may belong to a reopen that has not arrived yet
            ticket.note_since_resolved(event.ts, True)
        if ticket.state != OPEN:
            return None
        if ticket.paused:  # as in Zendesk: a customer's reply puts a pending ticket back to open
            self._resume_all(ticket, event.ts)
        if ticket.answered and ticket.reply_clock is None:
            self._start(ticket, NEXT_REPLY, event.ts)
        return None

    def _transferred(self, ticket: Ticket, event: Event) -> str | None:
        """A hand-off from wherever the ticket is: the engine's record of its team wins.

        A producer's ``from_team`` may be stale or only an id (Zammad sends no previous
        group, Chatwoot only its id); a hand-off to the team that already has it changes nothing.
        """
        data = event.data
        if data["from_team"] == data["to_team"]:
            return "invalid_state"  # not a hand-off
        if self._teams.label(data["to_team"]) == ticket.team:
            return None
        from_team = ticket.team
        self._hand_over(ticket, data["to_team"], event.ts)
        self.sink.inc("transfers", (from_team, ticket.team))
        ticket.transferred = True
        self.agents.transferred(ticket)
        self._labelled(ticket)
        return None

    def _hand_over(self, ticket: Ticket, team: str, at: float) -> None:
        """The ticket changes teams: the old team's stint ends, the new team's begins."""
        open_ = ticket.state == OPEN
        if open_:
            self._end_stint(ticket, at, "transfer")
        ticket.team = self._team(team)
        if open_:
            self._start_stint(ticket, at)

    def _status(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state != OPEN:
            return None
        if event.data["status"] == "open":
            if ticket.paused:
                self._resume_all(ticket, event.ts)
        elif not ticket.paused:
            self._pause_all(ticket, event.ts)
        return None

    def _resolved(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state != OPEN:
            return "invalid_state"
        labels = ticket.labels
        at = event.ts
        self.sink.inc("tickets_resolved", labels)
        fcr = ticket.public_replies <= 1 and not ticket.transferred and not ticket.reopened
        if fcr:
            self.sink.inc("first_contact_resolutions", labels)
        work = event.data.get("work_seconds")
        if work:
            self.sink.inc("agent_work_seconds", (ticket.team, ticket.channel), work)
        self.agents.resolution(ticket, event.data.get("agent_id"), work or 0.0, fcr)
        resolver = ticket.resolver
        self._stop(ticket, FIRST_RESPONSE, at, resolver)
        self._stop(ticket, NEXT_REPLY, at, resolver)
        self._end_stint(ticket, at, "resolved")
        resolution = ticket.resolution_clock
        value = self._stop(ticket, RESOLUTION, at, resolver)
        if resolution is not None and value is not None:
            self.sink.observe("resolution_seconds", labels, value)
            if ticket.category == "complaint":
                self.sink.observe("complaint_resolution_seconds", (ticket.team,), value)
            resolution.pause(at, ticket.policy.calendar)  # kept, paused, for a reopen
            resolution.elapsed = value
            ticket.resolution_clock = resolution
        ticket.resolved_ts = at
        ticket.since_resolved = None
        self._set_state(ticket, RESOLVED)
        return None

    def _reopened(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state != RESOLVED:
            return "invalid_state"
        self.sink.inc("tickets_reopened", ticket.labels)
        ticket.paused = False
        self._set_state(ticket, OPEN)
        previous = ticket.resolution_clock
        ticket.resolution_clock = None
        ticket.reopens += 1
        elapsed = previous.elapsed if previous is not None else 0.0
        clock = self._start(ticket, RESOLUTION, event.ts, elapsed)  # a new cycle, time kept
        if clock.target is not None and elapsed > clock.target:
            clock.breached = ticket.team  # this cycle starts already past its target
            self._outcome(ticket, RESOLUTION, "breached")
        self._start_stint(ticket, event.ts)  # the team holds it again
        self._messages_since_resolved(ticket)
        return None

    def _messages_since_resolved(self, ticket: Ticket) -> None:
        """Count the replies the messages that overtook this reopen called for.

        A customer's comment on a solved ticket often arrives before the status change
        it caused (Zendesk, Chatwoot: no order guarantee): its next-reply clock runs from
        the comment, and an agent's public reply already seen stops it, as in event order.
        """
        messages, ticket.since_resolved = ticket.since_resolved, None
        if not messages or not ticket.answered:
            return
        for ts, customer in sorted(messages):
            if ts < ticket.resolved_ts:
                continue  # written before the resolution: that cycle is over
            if customer:
                if ticket.reply_clock is None:
                    self._start(ticket, NEXT_REPLY, ts)
                continue
            value = self._stop(ticket, NEXT_REPLY, ts)
            if value is not None:
                self.sink.observe("next_reply_seconds", ticket.labels, value)

    def _updated(self, ticket: Ticket, event: Event) -> str | None:
        """New field values; the policy is matched again, as Zendesk re-applies SLAs."""
        if ticket.state not in (OPEN, RESOLVED):
            return "invalid_state"  # abandoned: nothing left to measure
        data = event.data
        was_complaint = ticket.category == "complaint"
        for name in UPDATABLE:
            if data.get(name) is not None:
                setattr(ticket, name, data[name])
        if ticket.category == "complaint" and not was_complaint:
            self.sink.inc("complaints", (ticket.team, ticket.channel))
        policy = self._select(ticket)
        if policy is not ticket.policy:
            self._rematch(ticket, policy, event.ts)
        self._labelled(ticket)
        return None

    def _rematch(self, ticket: Ticket, policy: Policy, at: float) -> None:
        """Every active clock keeps its elapsed SLA time and takes the new policy's target.

        A clock already past its new target is breached at once (like a reopen past its
        target). A resolved ticket keeps its paused clock as it is: a reopen starts its
        cycle from the ticket's (new) policy.
        """
        previous, ticket.policy = ticket.policy, policy
        if ticket.state != OPEN:
            return
        stint = ticket.stint
        if stint is not None and previous.calendar is not policy.calendar:
            stint.pause(max(at, stint.since), previous.calendar)  # counted on the new calendar
            if not ticket.paused:
                self._resume_stint(ticket, stint, at)
        for target, clock in enumerate(ticket.clocks):
            if clock is None:
                continue
            clock.pause(max(at, clock.since), previous.calendar)
            clock.target = policy.targets.get(TARGETS[target])
            if clock.target is not None and not clock.breached and clock.elapsed > clock.target:
                clock.breached = ticket.team
                self._outcome(ticket, target, "breached")
            if not ticket.paused:
                self._resume(ticket, target, clock, at)

    def _closed(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state == OPEN:
            for target in (FIRST_RESPONSE, NEXT_REPLY, RESOLUTION):
                self._stop(ticket, target, event.ts)
            self._end_stint(ticket, event.ts, "closed")
        ticket.clear_clocks()
        ticket.since_resolved = None
        self._set_state(ticket, CLOSED)
        return None

    def _abandoned(self, ticket: Ticket, event: Event) -> str | None:
        if ticket.state != OPEN or ticket.answered:
            return "invalid_state"
        self.sink.inc("contacts_abandoned", (ticket.team, ticket.channel))
        if event.ts - ticket.created_ts < self.policies.short_abandon:  # also counted above
            self.sink.inc("contacts_abandoned_short", (ticket.team, ticket.channel))
        # stopped with no outcome; a breach already counted stays counted
        if self.records is not None:  # the ledger: how late each breached clock ended
            for target, clock in enumerate(ticket.clocks):
                if clock is not None and clock.breached and clock.target is not None:
                    self._record(ticket, target, "breached", clock, event.ts, "")
        ticket.clear_clocks()
        stint, ticket.stint = ticket.stint, None
        if stint is not None and self.records is not None:
            held = stint.value(event.ts, ticket.policy.calendar)
            outcome = "breached" if stint.breached else ""
            self._stint_record(ticket, stint, event.ts, "abandoned", held, outcome)
        self._set_state(ticket, ABANDONED)
        return None

    def _survey(self, ticket: Ticket, event: Event) -> str | None:
        data = event.data
        kind, score = data["kind"], str(data["score"])
        self.sink.inc("survey_responses", (ticket.team, ticket.channel, kind, score))
        self.agents.survey(ticket, kind, score)
        if self.records is not None:
            agent = ticket.resolver or ticket.assignee  # credited as agents.py credits it
            self._records.append(
                Survey(
                    event.event_id,
                    ticket.ticket_id,
                    event.ts,
                    ticket.team,
                    agent,
                    ticket.channel,
                    kind,
                    int(data["score"]),
                )
            )
        return None

    def _qa_review(self, ticket: Ticket, event: Event) -> str | None:
        data = event.data
        self.sink.observe("qa_review_score", (ticket.team,), float(data["score"]))
        self.agents.qa_review(ticket, data)
        if self.records is not None:
            self._records.append(
                Review(
                    event.event_id,
                    ticket.ticket_id,
                    event.ts,
                    ticket.team,
                    data["agent_id"],
                    data.get("reviewer_id") or "",
                    float(data["score"]),
                )
            )
        return None

    def _team(self, name: str) -> str:
        """The team's label value: itself, or ``other`` beyond the policy file's bound."""
        label = self._teams.admit(name)
        if label != name:
            self.sink.inc("unlisted_team_events", ())
        return label

    def _set_state(self, ticket: Ticket, state: str) -> None:
        ticket.state = state
        if state == OPEN:
            self.open[ticket.ticket_id] = ticket
        else:
            self.open.pop(ticket.ticket_id, None)

    # ---- what the engine keeps and forgets: retention, end-of-input settling ----------------

    def expire(self, now: float, retention: float = 7 * 86400.0) -> list[str]:
        """Forget tickets nothing more can happen to; returns their ids.

        ``now`` is the engine's clock (``self.now``: the event clock in replay
        and backfill, wall time minus the grace live), never a wall clock the
        events' times lag behind: the retention horizon ``now - retention`` is
        compared with each ticket's last *event* time. Closed tickets are kept
        as tombstones for ``retention`` seconds after their last event (late
        events are rejected ``ticket_closed``, repeats recognised), abandoned
        and resolved-never-closed ones likewise (a reopen after that long is
        rejected ``no_ticket`` like any event of an unknown ticket); events
        held for a ``ticket.created`` that never came within ``retention`` are
        rejected ``no_ticket``. The horizon is kept (``retention_horizon``): an
        event of an unknown ticket before it is rejected ``no_ticket`` (its
        ticket may have been forgotten) instead of opening an orphan. Adapters
        that persist state delete the returned ids from their store.
        """
        horizon = now - retention
        if horizon > self.retention_horizon:
            self.retention_horizon = horizon
        gone: list[str] = []
        for ticket_id, ticket in list(self.tickets.items()):
            if ticket.state == OPEN or ticket.last_ts >= horizon:
                continue
            for raw in ticket.held or ():
                self.reject(raw, "no_ticket")
            self.drop(ticket_id)
            gone.append(ticket_id)
        self._deadlines.compact()
        return gone

    def settle(self) -> list[str]:
        """End of input (replay): reject every held event ``no_ticket``; returns the tickets."""
        gone = [tid for tid, ticket in self.tickets.items() if ticket.state == ORPHAN]
        for ticket_id in gone:
            for raw in self.tickets[ticket_id].held or ():
                self.reject(raw, "no_ticket")
            self.drop(ticket_id)
        return gone

    # ---- state transfer (the worker keeps ticket state in a changelog table) -------------------

    def policy_named(self, name: str) -> Policy:
        return self._by_name.get(name, NO_POLICY)

    def load(self, state: dict[str, Any]) -> Ticket:
        """Adopt a ticket from a snapshot (``Ticket.to_state``), re-arming its deadlines."""
        ticket = Ticket.from_state(state, self.policy_named)
        deadlines: list[Entry] = []
        self._adopt(ticket, state["p"], deadlines)
        self._deadlines.arm(deadlines)
        if ticket.state in (OPEN, RESOLVED):  # outcomes may still come: their series at 0,
            self._labelled(ticket)  # so a restart does not hide the first breach from increase()
        return ticket

    def load_rows(self, rows: Iterable[tuple[str, list[Any]]]) -> int:
        """Adopt tickets from flat state records (``Ticket.to_row``): (ticket id, record).

        What :meth:`load` does for each, the deadlines armed in one go and each label set
        reported once. Returns how many tickets were adopted.
        """
        deadlines: list[Entry] = []
        labelled: set[tuple[str, ...]] = set()
        from_row, policy_named = Ticket.from_row, self.policy_named
        adopt = self._adopt
        count = 0
        for ticket_id, row in rows:
            ticket = from_row(ticket_id, row, policy_named)
            adopt(ticket, row[6], deadlines)
            count += 1
            if ticket.state in (OPEN, RESOLVED):  # as in load
                key = (*ticket.labels, ticket.policy.name)
                if key not in labelled:
                    labelled.add(key)
                    self._labelled(ticket)
        self._deadlines.arm(deadlines)
        return count

    def _adopt(self, ticket: Ticket, policy_name: str, deadlines: list[Entry]) -> None:
        """Make a rebuilt ticket the engine's; its running clocks' deadlines to ``deadlines``."""
        ticket_id = ticket.ticket_id
        if ticket.policy is NO_POLICY and policy_name != NO_POLICY.name:
            ticket.policy = self.policies.select(ticket.fields)
            log.warning(
                "ticket %.64r: policy %.64r no longer exists; now under %r by its match",
                ticket_id,
                policy_name,
                ticket.policy.name,
            )
        if ticket.team:
            self._teams.admit(ticket.team)  # loaded teams take their places first
        if ticket_id in self.tickets:
            self.drop(ticket_id)
        self.tickets[ticket_id] = ticket
        if ticket.held:
            self._held += len(ticket.held)
        if ticket.state == OPEN:
            self.open[ticket_id] = ticket
            for target, clock in enumerate((*ticket.clocks, ticket.stint)):  # stint: STINT
                if clock and clock.running and clock.deadline != INF:
                    deadlines.append((clock.deadline, ticket_id, target))

    def drop(self, ticket_id: str) -> None:
        """Forget a ticket (its partition moved to another worker)."""
        ticket = self.tickets.pop(ticket_id, None)
        if ticket is not None:
            self.open.pop(ticket_id, None)
            self._held -= len(ticket.held or ())

    def drop_many(self, ticket_ids: Iterable[str]) -> None:
        for ticket_id in ticket_ids:
            self.drop(ticket_id)

    # ---- derived gauges ------------------------------------------------------------------------

    @property
    def held_events(self) -> int:
        """Events held for tickets not created yet (the ``orphan_events`` gauge)."""
        return self._held

    def gauges(self, now: float) -> Gauges:
        """Backlog figures at ``now``, derived from the open tickets (core/backlog.py)."""
        result = derive_gauges(self.open.values(), now, self.policies.at_risk, self._held)
        result.agents = with_planned(self.presence.counts(), self.policies.staffing, now)
        return result

    def deadline_figures(self, now: float) -> DeadlineFigures:
        """Time to the next deadline and warning/breached clocks by priority (core/backlog.py)."""
        return deadline_figures(self.open.values(), now, self.policies.at_risk)

    def backlog(self, now: float) -> tuple[Gauges, DeadlineFigures]:
        """:meth:`gauges` and :meth:`deadline_figures` in one pass (what a scrape needs)."""
        gauges, figures = backlog_figures(
            self.open.values(), now, self.policies.at_risk, self._held
        )
        gauges.agents = with_planned(self.presence.counts(), self.policies.staffing, now)
        return gauges, figures

    def _agent_status(self, event: Event, raw: Any) -> str | None:
        """An agent's presence (presence.py): no ticket, no clock; the latest status wins."""
        data = event.data
        if not self.presence.update(
            data["agent_id"], self._team(data["team"]), data["status"], event.ts
        ):
            return self.reject(event.data if raw is None else raw, "invalid_state")
        self.sink.inc("events_processed", ("agent.status",))
        return None
