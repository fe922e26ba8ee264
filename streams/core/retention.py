"""What the engine keeps and forgets: retention, end-of-input settling, state transfer.

A mixin of :class:`streams.core.engine.Engine` (kept apart so the engine module
stays about applying events).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from streams.core.deadlines import DeadlineQueue
from streams.core.policy import NO_POLICY, Policy, PolicySet
from streams.core.teams import TeamBound
from streams.core.ticket import INF, OPEN, ORPHAN, RESOLVED, Ticket

log = logging.getLogger("streams.core.engine")


class Retention:
    """Ticket memory: ``expire``, ``settle``, ``load``, ``drop`` (needs the engine's fields)."""

    policies: PolicySet
    tickets: dict[str, Ticket]
    open: dict[str, Ticket]
    _held: int
    _by_name: dict[str, Policy]
    _deadlines: DeadlineQueue
    _teams: TeamBound
    # Raised by every ``expire``: tickets whose last event lies before it were forgotten.
    # A class default, so an engine that never expires keeps -inf (replay, whatif).
    retention_horizon: float = -INF

    def reject(self, raw: Any, reason: str) -> str:
        raise NotImplementedError

    def _labelled(self, ticket: Ticket) -> None:
        raise NotImplementedError

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
        rejected ``no_ticket``. The horizon is kept (``retention_horizon``):
        see :meth:`forgotten`. Adapters that persist state delete the returned
        ids from their store.
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
        if ticket.policy is NO_POLICY and state["p"] != NO_POLICY.name:
            ticket.policy = self.policies.select(ticket.fields)
            log.warning(
                "ticket %.64r: policy %.64r no longer exists; now under %r by its match",
                ticket.ticket_id,
                state["p"],
                ticket.policy.name,
            )
        if ticket.team:
            self._teams.admit(ticket.team)  # loaded teams take their places first
        self.drop(ticket.ticket_id)
        self.tickets[ticket.ticket_id] = ticket
        if ticket.state == OPEN:
            self.open[ticket.ticket_id] = ticket
        self._held += len(ticket.held or ())
        for target, clock in enumerate((*ticket.clocks, ticket.stint)):  # the stint: STINT
            if clock and clock.running and clock.deadline != INF and ticket.state == OPEN:
                self._deadlines.push(clock.deadline, ticket.ticket_id, target)
        if ticket.state in (OPEN, RESOLVED):  # outcomes may still come: their series at 0,
            self._labelled(ticket)  # so a restart does not hide the first breach from increase()
        return ticket

    def drop(self, ticket_id: str) -> None:
        """Forget a ticket (its partition moved to another worker)."""
        ticket = self.tickets.pop(ticket_id, None)
        if ticket is not None:
            self.open.pop(ticket_id, None)
            self._held -= len(ticket.held or ())

    def drop_many(self, ticket_ids: Iterable[str]) -> None:
        for ticket_id in ticket_ids:
            self.drop(ticket_id)
