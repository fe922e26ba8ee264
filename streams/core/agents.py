"""Per-agent figures: which agent a fact is credited to, and a bounded ``agent`` label.

Credit (docs/engine.md, "Per-agent figures"):

* a first response -> the agent who wrote it;
* a resolution (and its first-contact resolution) -> the resolved event's ``agent_id``, else the
  ticket's assigned agent, else its last public replier, else ``none``;
* a survey answer -> the agent credited with the ticket's latest resolution, else the assigned
  agent, else ``none``;
* a QA review -> the review's ``agent_id``; handle time -> the message's agent, or for a
  resolution's ``work_seconds`` the agent the resolution is credited to.

The label is bounded (contract section 4 bounds every label): with a roster (policy file
``agents:``) an unlisted agent is counted as ``other``; without one, the first ``max_agents``
distinct agents seen keep their id and later ones are counted as ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.core.facts import FactSink
from streams.core.policy import PolicySet
from streams.core.ticket import Ticket

OTHER = "other"  # an agent beyond the roster or the cap
NONE = "none"  # no agent known to credit


class AgentRoster:
    """Maps an agent id to its ``agent`` label value."""

    def __init__(self, roster: tuple[str, ...] | None, cap: int) -> None:
        self.roster = frozenset(roster) if roster is not None else None
        self.cap = cap
        self.kept: set[str] = set()  # without a roster: the first `cap` agents seen

    def label(self, agent_id: str) -> str:
        if not agent_id:
            return NONE
        if self.roster is not None:
            return agent_id if agent_id in self.roster else OTHER
        kept = self.kept
        if agent_id in kept:
            return agent_id
        if len(kept) < self.cap:
            kept.add(agent_id)
            return agent_id
        return OTHER


class AgentFigures:
    """Keeps a ticket's agents (assigned, last replier, resolver) and reports per-agent facts."""

    def __init__(self, policies: PolicySet, sink: FactSink) -> None:
        self.roster = AgentRoster(policies.agents, policies.max_agents)
        self.sink = sink
        # the ids that are their own label: the roster, else the agents kept so far (a set
        # the roster grows in place); anything else asks the roster
        roster = self.roster.roster
        self._own: frozenset[str] | set[str] = roster if roster is not None else self.roster.kept

    def _labels(self, ticket: Ticket, agent_id: str) -> tuple[str, str]:
        if agent_id in self._own:  # most facts: no call
            return (ticket.team, agent_id)
        return (ticket.team, self.roster.label(agent_id))

    def assigned(self, ticket: Ticket, agent_id: str) -> None:
        ticket.assignee = agent_id

    def transferred(self, ticket: Ticket) -> None:
        """A hand-off leaves the ticket in the new team's queue: nobody is assigned."""
        ticket.assignee = ""

    def message(self, ticket: Ticket, data: Mapping[str, Any], work: float) -> None:
        """An agent's message: its handle time, and who replied last when it is public."""
        agent_id = data["agent_id"]
        if work:
            self.sink.inc("agent_handle_seconds", self._labels(ticket, agent_id), work)
        if data.get("public", True) is not False:  # an internal note is not a reply
            ticket.replier = agent_id

    def first_response(self, ticket: Ticket, agent_id: str, seconds: float) -> None:
        labels = self._labels(ticket, agent_id)
        self.sink.inc("agent_first_responses", labels)
        self.sink.inc("agent_first_response_seconds", labels, seconds)

    def resolution(self, ticket: Ticket, agent_id: str | None, work: float, fcr: bool) -> None:
        credited = agent_id or ticket.assignee or ticket.replier
        ticket.resolver = credited
        labels = self._labels(ticket, credited)
        self.sink.inc("agent_resolutions", labels)
        if fcr:
            self.sink.inc("agent_first_contact_resolutions", labels)
        if work:
            self.sink.inc("agent_handle_seconds", labels, work)

    def survey(self, ticket: Ticket, kind: str, score: str) -> None:
        team, agent = self._labels(ticket, ticket.resolver or ticket.assignee)
        self.sink.inc("agent_survey_responses", (team, agent, kind, score))

    def qa_review(self, ticket: Ticket, data: Mapping[str, Any]) -> None:
        labels = self._labels(ticket, data["agent_id"])
        self.sink.inc("agent_qa_reviews", labels)
        self.sink.inc("agent_qa_score", labels, float(data["score"]))
