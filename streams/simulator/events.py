"""The contract events the simulator writes (CONTRACT.md section 1), one builder per type.

Every event has ``event_id`` (``f"{seed}-{n}"``, n counting the events written),
``type``, ``ticket_id`` and ``ts`` (RFC 3339, millisecond precision, ``+00:00`` offset),
then the fields of its type, in this order.
"""

from __future__ import annotations

from typing import Any

from streams.simulator.ticket import Ticket
from streams.simulator.timestamps import iso

Event = dict[str, Any]


class EventWriter:
    """Numbers the events of one simulation and builds them."""

    def __init__(self, seed: int) -> None:
        self.prefix = f"{seed}-"
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count}"

    def _bare(self, type_: str, t: float, tk: Ticket) -> Event:
        return {"event_id": self._id(), "type": type_, "ticket_id": tk.tid, "ts": iso(t)}

    def created(self, t: float, tk: Ticket) -> Event:
        return {
            "event_id": self._id(),
            "type": "ticket.created",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "team": tk.team,
            "channel": tk.channel,
            "priority": tk.priority,
            "customer_id": f"C{tk.customer:06d}",
            "customer_tier": "vip" if tk.vip else "standard",
            "category": tk.category,
        }

    def assigned(self, t: float, tk: Ticket) -> Event:
        return {
            "event_id": self._id(),
            "type": "ticket.assigned",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "team": tk.team,
        }

    def agent_message(self, t: float, tk: Ticket, public: bool, work: float) -> Event:
        return {
            "event_id": self._id(),
            "type": "message.agent",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "public": public,
            "work_seconds": round(work, 1),
        }

    def customer_message(self, t: float, tk: Ticket) -> Event:
        return self._bare("message.customer", t, tk)

    def transferred(self, t: float, tk: Ticket, old: str, new: str) -> Event:
        return {
            "event_id": self._id(),
            "type": "ticket.transferred",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "from_team": old,
            "to_team": new,
        }

    def status(self, t: float, tk: Ticket, status: str) -> Event:
        return {
            "event_id": self._id(),
            "type": "ticket.status",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "status": status,
        }

    def resolved(self, t: float, tk: Ticket, work: float) -> Event:
        return {
            "event_id": self._id(),
            "type": "ticket.resolved",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "work_seconds": round(work, 1),
        }

    def reopened(self, t: float, tk: Ticket) -> Event:
        return self._bare("ticket.reopened", t, tk)

    def closed(self, t: float, tk: Ticket) -> Event:
        return self._bare("ticket.closed", t, tk)

    def survey(self, t: float, tk: Ticket, kind: str, score: int) -> Event:
        return {
            "event_id": self._id(),
            "type": "survey.response",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "kind": kind,
            "score": score,
        }

    def qa_review(self, t: float, tk: Ticket, score: float, reviewer: str) -> Event:
        return {
            "event_id": self._id(),
            "type": "qa.review",
            "ticket_id": tk.tid,
            "ts": iso(t),
            "agent_id": tk.agent,
            "score": score,
            "reviewer_id": reviewer,
        }

    def abandoned(self, t: float, tk: Ticket) -> Event:
        return self._bare("contact.abandoned", t, tk)
