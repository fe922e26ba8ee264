"""``serve`` under load, SIGKILLed five times, its journal tail damaged once: nothing lost.

Four senders post batches of contract events concurrently, each retrying a batch until
it is acknowledged (a ``200``), as a helpdesk retries a failed webhook. Five times, as
soon as another 150 events were acknowledged since the last start, ``serve`` is killed
with SIGKILL in the middle of that load and started again on the same data directory;
after the third kill a damaged record (a wrong checksum) and a torn write are appended
to the journal's tail. Small segments make it compact many times on the way.

At the end ``/metrics`` equals ``servicepulse replay`` of exactly the acknowledged
batches, in the order they were acknowledged, in every counter, histogram and gauge
but two: ``events_duplicate`` (a batch written but killed before its ``200`` is
re-sent, and its second copy is ignored as a duplicate: serve sees more of them than
the acknowledgements show) and ``journal_damaged_records`` (the one damaged record).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from streams.journal import Journal
from tests.processes import Processes
from tests.serve_process import LONG_TARGETS, ServeProcess, replay, value

POLICY = LONG_TARGETS
SENDERS = 4
BATCH = 3  # tickets per POST (2 or 3 events each)
KILLS = 5
EVERY = 150  # events acknowledged between two kills
DAMAGED_AFTER = 3  # the kill after which the journal's tail is damaged
EXCLUDED = ("servicepulse_events_duplicate_total", "servicepulse_journal_damaged_records_total")


def ticket_events(sender: int, n: int, now: float) -> list[dict[str, Any]]:
    """Created, answered and (every other one) resolved, in the last minutes."""
    ticket = f"s{sender}-{n}"
    created = now - 600 + (n % 300)

    def ts(offset: float) -> str:
        return datetime.fromtimestamp(created + offset, UTC).isoformat()

    events = [
        {"event_id": f"{ticket}-c", "type": "ticket.created", "ticket_id": ticket, "ts": ts(0),
         "team": ("billing", "technical")[n % 2], "channel": ("email", "chat")[sender % 2],
         "priority": ("normal", "high", "urgent")[n % 3], "customer_id": f"cust-{n}"},
        {"event_id": f"{ticket}-a", "type": "message.agent", "ticket_id": ticket,
         "ts": ts(30 + n % 50), "agent_id": f"agent-{n % 5}"},
    ]  # fmt: skip
    if n % 2:
        events.append({"event_id": f"{ticket}-r", "type": "ticket.resolved",
                       "ticket_id": ticket, "ts": ts(200)})  # fmt: skip
    return events


class Senders:
    """Threads posting batches until told to stop, each batch retried until acknowledged."""

    def __init__(self, serve: ServeProcess) -> None:
        self.serve = serve
        self.acked: list[dict[str, Any]] = []  # the acknowledged events, in order
        self.failures = 0  # POSTs that got no 200 (killed mid-request, refused while down)
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self.crashed = False
        self.now = time.time()
        self.threads = [
            threading.Thread(target=self._send, args=(s,), daemon=True) for s in range(SENDERS)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def count(self) -> int:
        with self.changed:
            return len(self.acked)

    def wait_for(self, events: int, timeout: float = 120.0) -> None:
        """Until at least ``events`` are acknowledged."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.acked) >= events, timeout), (
                f"{len(self.acked)} of {events} events acknowledged; {self.errors[-3:]}"
            )

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(120)
            assert not thread.is_alive(), "a sender never got its last batch acknowledged"
        assert not self.crashed, self.errors[-3:]

    def _send(self, sender: int) -> None:
        try:
            self._batches(sender)
        except BaseException as exc:  # seen by stop(), not lost in a thread
            self.errors.append(f"sender {sender} stopped: {exc!r}")
            self.crashed = True
            raise

    def _batches(self, sender: int) -> None:
        n = 0
        while not self.stopping.is_set():
            batch = [e for k in range(n, n + BATCH) for e in ticket_events(sender, k, self.now)]
            n += BATCH
            body = json.dumps(batch).encode()
            while True:  # until acknowledged, even after stop: it may be in the journal
                try:
                    answer = self.serve.post("/v1/events", body)
                    if answer.status_code == 200:
                        assert answer.json() == {"accepted": len(batch), "rejected": []}
                        break
                    self.errors.append(f"{answer.status_code} {answer.text[:80]}")
                except requests.RequestException as exc:
                    self.errors.append(type(exc).__name__)
                with self.changed:
                    self.failures += 1
                time.sleep(0.02)  # serve is restarting: poll again
            with self.changed:
                self.acked += batch
                self.changed.notify_all()


def damage_tail(data_dir: Path) -> None:
    """Append a record whose checksum does not match, then a torn write, to the segment the
    restart appends to: the last one, or the one the snapshot names when a kill came between
    a compaction's snapshot and its new segment."""
    segments = [int(p.name[8:-4]) for p in data_dir.glob("journal-*.log")]
    following = next(Journal(data_dir).snapshot_records())["segment"]
    last = data_dir / f"journal-{max([*segments, following]):06d}.log"
    with open(last, "ab") as out:
        out.write(b'e 00000000 {"event_id":"forged","type":"ticket.created"}\n')
        out.write(b'e 1234abcd {"event_id":"torn')


def test_serve_keeps_every_acknowledged_event_through_five_sigkills_and_a_damaged_tail(
    tmp_path: Path, processes: Processes
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    data_dir = tmp_path / "data"
    serve = ServeProcess(processes, data_dir, "--segment-mb", "0.03", policy=policy).start()
    senders = Senders(serve)
    senders.start()
    try:
        for kill in range(1, KILLS + 1):
            senders.wait_for(senders.count() + EVERY)
            serve.kill()  # with batches in flight
            if kill == DAMAGED_AFTER:
                damage_tail(data_dir)
            serve.start()
        senders.wait_for(senders.count() + EVERY)  # load after the last restart too
    finally:
        senders.stop()

    acked = senders.acked
    figures = serve.figures()
    expected = replay(acked, policy, tmp_path)
    assert {k: v for k, v in figures.items() if k[0] not in EXCLUDED} == {
        k: v for k, v in expected.items() if k[0] not in EXCLUDED
    }
    assert value(figures, "servicepulse_journal_damaged_records_total") == 1
    duplicates = value(figures, "servicepulse_events_duplicate_total")
    assert value(expected, "servicepulse_events_duplicate_total") == 0  # no re-sent 200s
    assert duplicates <= len(acked)
    tickets = {e["ticket_id"] for e in acked}
    assert value(figures, "servicepulse_tickets_created_total") == len(tickets)
    assert len(acked) >= (KILLS + 1) * EVERY
    assert senders.failures >= 1  # the kills did hit requests
    assert len(list((data_dir / "quarantine").iterdir())) == 1
    assert serve.starts == KILLS + 1
