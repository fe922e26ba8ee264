"""``serve`` on the wall clock with delivery delays: /metrics equal to replay in event time.

A real ``servicepulse serve`` process is fed the way helpdesks deliver webhooks:
in batches up to 2.9 s after the events happened, some out of order, one batch
retried. Two servers get the same deliveries at the same instants: one with
``--grace 6`` (the engine judges a deadline 6 s after it passed), one with
``--grace 0`` (the old behaviour). The first must count exactly what
``servicepulse replay`` counts from its own journal put in event-time order;
the second shows the false breaches the grace prevents.

Policy (24x7): first_response 4 s, next_reply 4 s, resolution 12 s.
Times below are seconds after T0 (a moment just after both servers are up).

Ticket by ticket (event time -> delivered at), and the truth by hand:

* A: created 0.0->1.0, reply 3.6->6.5, resolved 6.0->6.5. FR met: the reply came
  0.4 s before the deadline 4.0 and was delivered 2.9 s late.
* B: created 0.5->1.0, reply 1.5->2.0, customer 5.0->6.5, transferred billing ->
  technical 6.0->6.5, reply 8.8->11.5, resolved 9.5->11.5. NR met: 8.8 - 5.0 = 3.8 s
  (deadline 9.0), delivered 2.7 s late.
* C: created 1.0->2.0, reply 6.0->6.5, resolved 7.0->8.0. FR breached (deadline 5.0).
* D: created 1.5->2.0, nothing more. FR breached (deadline 5.5) and resolution
  breached (1.5 + 12 = 13.5), by the clock alone.
* E: created 1.8->2.0, pending 3.5->6.4, open 8.0->8.5, reply 9.5->10.0, resolved
  11.5->12.0. FR met: 1.7 + 1.5 = 3.2 s; the pause came 2.3 s before the deadline
  1.8 + 4 = 5.8 and was delivered 0.6 s after it.
* F: created 2.5, reply 3.0, resolved 4.0, all ->4.5; the batch retried ->7.0.
  All met, the retry counted once (3 duplicates).
* G: reply 4.0->4.5 (its ticket unknown yet: held), created 3.0->5.8, resolved
  5.0->5.8. FR met (1.0 s).
* I: created 9.0->9.5, reply 12.9->14.8, resolved 13.5->14.8. FR met: 3.9 s
  (deadline 13.0), delivered 1.9 s late.
* Z: created 14.5, reply 14.6, resolved 14.7, all ->15.0. All met; its events move
  replay's event clock past D's resolution deadline 13.5.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.journal import Journal
from tests.processes import Processes
from tests.serve_process import Samples, ServeProcess, replay, value

POLICY = """
policies:
  - name: quick
    match: {}
    calendar: always
    targets: {first_response: 4s, next_reply: 4s, resolution: 12s}
"""
GRACE = 6.0  # > the latest delivery (2.9 s), with 3 s to spare for a slow machine

Delivery = tuple[float, dict[str, Any]]  # (delivered at, seconds after T0; the event)


def _schedule(t0: float) -> list[Delivery]:
    """The table of the module docstring, as (delivery offset, contract event)."""
    deliveries: list[Delivery] = []

    def add(ticket: str, kind: str, at: float, delivered: float, **fields: Any) -> None:
        event = {
            "event_id": f"{ticket}-{kind}-{at}",
            "type": kind,
            "ticket_id": ticket,
            "ts": datetime.fromtimestamp(t0 + at, UTC).isoformat(),
            **fields,
        }
        deliveries.append((delivered, event))

    def create(ticket: str, at: float, delivered: float) -> None:
        add(ticket, "ticket.created", at, delivered, team="billing", channel="email",
            priority="normal", customer_id=f"cust-{ticket}")  # fmt: skip

    def answer(ticket: str, at: float, delivered: float) -> None:
        add(ticket, "message.agent", at, delivered, agent_id="agent-1")

    def resolve(ticket: str, at: float, delivered: float) -> None:
        add(ticket, "ticket.resolved", at, delivered)

    create("A", 0.0, 1.0)
    answer("A", 3.6, 6.5)
    resolve("A", 6.0, 6.5)
    create("B", 0.5, 1.0)
    answer("B", 1.5, 2.0)
    add("B", "message.customer", 5.0, 6.5)
    add("B", "ticket.transferred", 6.0, 6.5, from_team="billing", to_team="technical")
    answer("B", 8.8, 11.5)
    resolve("B", 9.5, 11.5)
    create("C", 1.0, 2.0)
    answer("C", 6.0, 6.5)
    resolve("C", 7.0, 8.0)
    create("D", 1.5, 2.0)
    create("E", 1.8, 2.0)
    add("E", "ticket.status", 3.5, 6.4, status="pending")
    add("E", "ticket.status", 8.0, 8.5, status="open")
    answer("E", 9.5, 10.0)
    resolve("E", 11.5, 12.0)
    create("F", 2.5, 4.5)
    answer("F", 3.0, 4.5)
    resolve("F", 4.0, 4.5)
    deliveries += [(7.0, event) for _, event in deliveries[-3:]]  # F's batch, retried
    answer("G", 4.0, 4.5)
    create("G", 3.0, 5.8)
    resolve("G", 5.0, 5.8)
    create("I", 9.0, 9.5)
    answer("I", 12.9, 14.8)
    resolve("I", 13.5, 14.8)
    create("Z", 14.5, 15.0)
    answer("Z", 14.6, 15.0)
    resolve("Z", 14.7, 15.0)
    return deliveries


def _batches(deliveries: list[Delivery]) -> list[tuple[float, list[dict[str, Any]]]]:
    """One POST per delivery instant, its events in the order listed."""
    by_time: dict[float, list[dict[str, Any]]] = {}
    for delivered, event in deliveries:
        by_time.setdefault(delivered, []).append(event)
    return sorted(by_time.items())


def _outcomes(metrics: Samples) -> Counter[str]:
    """'target outcome' -> count, over every label set."""
    found: Counter[str] = Counter()
    for (name, labels), count in metrics.items():
        if name == "servicepulse_sla_outcomes_total" and count:
            by = dict(labels)
            found[f"{by['target']} {by['outcome']}"] += int(count)
    return found


def _journal_in_event_time(data_dir: Path) -> list[dict[str, Any]]:
    """The events of serve's own journal (retries included), sorted by event time."""
    events = [json.loads(payload) for tag, payload in Journal(data_dir).replay(0) if tag == b"E"]
    return sorted(events, key=lambda e: datetime.fromisoformat(e["ts"]).timestamp())


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_delivery_delay_inside_the_grace_breaches_nothing_and_serve_equals_replay(
    tmp_path: Path, processes: Processes
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    graced = ServeProcess(processes, tmp_path / "graced" / "data", policy=policy, grace=GRACE)
    hasty = ServeProcess(processes, tmp_path / "hasty" / "data", policy=policy, grace=0)
    for serve in (graced, hasty):
        serve.start()

    t0 = time.time() + 0.5
    deliveries = _schedule(t0)
    for delivered, batch in _batches(deliveries):
        time.sleep(max(0.0, t0 + delivered - time.time()))  # the helpdesk's instant
        for serve in (graced, hasty):
            answer = serve.post("/v1/events", json.dumps(batch).encode())
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"accepted": len(batch), "rejected": []}
        made = min(datetime.fromisoformat(event["ts"]).timestamp() for event in batch)
        assert time.time() - made < GRACE, "this machine delivered later than the grace"

    journal = _journal_in_event_time(tmp_path / "graced" / "data")
    assert len(journal) == len(deliveries)  # every delivery journalled, retries included
    expected = replay(journal, policy, tmp_path)
    # Hand-computed (module docstring): FR met A B E F G I Z, breached C D; NR met B;
    # resolution met A B C E F G I Z, breached D (13.5, seen by serve at 13.5 + 6 s).
    truth = {
        "first_response met": 7,
        "first_response breached": 2,
        "next_reply met": 1,
        "resolution met": 8,
        "resolution breached": 1,
    }
    assert _outcomes(expected) == truth
    _wait_for(
        lambda: _outcomes(graced.figures()) == truth,
        timeout=t0 + 15.0 + GRACE + 20 - time.time(),
        what="serve --grace did not reach replay's outcomes",
    )
    assert graced.figures() == expected  # every counter, histogram and gauge
    assert value(expected, "servicepulse_tickets_created_total") == 9  # A B C D E F G I Z
    duplicates = expected[("servicepulse_events_duplicate_total", frozenset())]
    assert duplicates == 3  # F's retried batch

    def observations(histogram: str) -> float:
        return value(expected, f"servicepulse_{histogram}_seconds_count")

    assert observations("first_response") == 8  # every ticket but D was answered
    assert observations("next_reply") == 1  # B
    assert observations("resolution") == 8  # every ticket but D was resolved

    # Without grace the same deliveries breach A's, E's and I's first response and B's
    # next reply: made in time, delivered after the deadline (4 false breaches).
    assert _outcomes(hasty.figures()) == {
        "first_response met": 7 - 3,
        "first_response breached": 2 + 3,
        "next_reply breached": 1,
        "resolution met": 8,
        "resolution breached": 1,
    }
