"""A simulated ticket: its attributes and where it stands in its life."""

from __future__ import annotations

from enum import IntEnum

from streams.simulator.profiles import PRIORITY_SPEED


class State(IntEnum):
    OPEN = 0
    PAUSED = 1
    RESOLVED = 2
    CLOSED = 3
    ABANDONED = 4


class Ticket:
    __slots__ = (
        "agent",
        "category",
        "channel",
        "close_at",
        "created",
        "customer",
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
        "vip",
    )

    def __init__(
        self,
        tid: str,
        team: str,
        channel: str,
        priority: str,
        category: str,
        customer: int,
        t: float,
    ) -> None:
        self.tid = tid
        self.team = team
        self.channel = channel
        self.priority = priority
        self.category = category
        self.customer = customer
        self.vip = customer % 10 == 0
        self.created = t
        self.rt = channel == "phone" or channel == "chat"  # real time: needs a seat
        self.phone = channel == "phone"
        self.speed = PRIORITY_SPEED[priority] * (0.6 if self.vip else 1.0)  # x waiting times
        self.agent = ""
        self.state = State.OPEN
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

    @property
    def urgent(self) -> bool:
        """Urgent, high or VIP: the priority lane of the queues, no inbox."""
        return self.speed < 0.75
