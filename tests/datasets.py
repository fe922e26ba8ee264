"""Real public data sets turned into contract events (benchmarks, history checks, pictures).

The data sets live beside the checkout in ``../shared/datasets`` and are never copied into
the repository; callers skip when they are absent. Each converter returns the events as
JSON lines in time order, ready for ``replay`` or ``backfill``, with the SLA policy the data
set is judged by.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

# ---- the Technion "Anonymous Bank" call centre, August 1999 (6 queues) ---------------------

BANK = DATASETS / "technion-anonymousbank-aug1999"
BANK_CALLS = BANK / "anonymousbank_1999-08_calls.csv"
BANK_TZ = timezone(timedelta(hours=3))
# Judged as the bank's own target: first response (the wait in the queue) within 20 s, round
# the clock, 80 % of calls.
BANK_POLICY = """\
objectives: {first_response: 80%}
policies:
  - name: bank
    match: {}
    calendar: always
    targets: {first_response: 20s}
"""


def seconds_of(text: str) -> int:
    """``h:mm:ss`` -> seconds."""
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def bank_events(path: Path) -> list[bytes]:
    """The bank month's calls as contract events, in time order.

    Every call that reached the queue is a phone ticket of its type's team (PS, NW, IN, NE,
    PE, TT) created when it joined the queue (local time +03:00), answered by its server at
    service start and resolved at its end, or abandoned when it hung up in the queue;
    VRU-only calls and PHANTOM rows are left out (bench/forecast_bank.py reads the calls the
    same way).
    """
    events: list[tuple[datetime, str, int, dict[str, object]]] = []
    with open(path, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            never_queued = row["q_start"] == "0:00:00"
            if row["outcome"] not in ("AGENT", "HANG") or (
                never_queued and row["outcome"] == "HANG"
            ):
                continue
            joined = seconds_of(row["vru_exit"] if never_queued else row["q_start"])
            if joined < seconds_of(row["vru_entry"]):
                joined += 86400  # crossed midnight in the VRU
            day = datetime(1999, 8, int(row["date"][-2:]), tzinfo=BANK_TZ)
            queued = day + timedelta(seconds=joined)
            ticket = f"bank-{row['date'][-2:]}-{row['call_id']}"
            own: list[tuple[datetime, dict[str, object]]] = [
                (queued, {"type": "ticket.created", "team": row["type"], "channel": "phone",
                          "priority": "normal", "customer_id": f"c{row['customer_id']}"}),
            ]  # fmt: skip
            waited = queued + timedelta(seconds=float(row["q_time"]))
            if row["outcome"] == "HANG":
                own.append((waited, {"type": "contact.abandoned"}))
            else:
                own.append((waited, {"type": "message.agent", "agent_id": row["server"]}))
                done = waited + timedelta(seconds=float(row["ser_time"]))
                own.append((done, {"type": "ticket.resolved"}))
            for index, (at, fields) in enumerate(own):
                data = {"event_id": f"{ticket}-{index}", "ticket_id": ticket,
                        "ts": at.isoformat(), **fields}  # fmt: skip
                events.append((at, ticket, index, data))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [orjson.dumps(e[3]) for e in events]


# ---- the ServiceNow incident audit trail, 2016 (79 assignment groups) -----------------------

SERVICENOW = DATASETS / "servicenow-incident-eventlog"
SERVICENOW_POLICY: dict[str, Any] = {
    "policies": [
        {
            "name": "it",
            "calendar": "always",
            "targets": {"first_response": "1h", "resolution": "1d"},
        }
    ]
}


def servicenow_events(csv_path: Path) -> tuple[list[bytes], int]:
    """The audit trail as contract events in time order, and how many reopens it holds.

    Per incident, in ``sys_mod_count`` order: created at ``opened_at`` (team = assignment
    group), a transfer at each group change, the first state other than New as the first
    response, Awaiting* / Active as pending / open, Resolved, a state other than Resolved or
    Closed after Resolved as a reopen, Closed. Times (no zone given) are read as UTC; an
    update stamped before the one it follows is taken at that one's time (the trail's order
    is ``sys_mod_count``), so every reopen follows its resolution and is counted.
    """

    def ts(text: str) -> datetime:
        return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)

    rows: dict[str, list[list[str]]] = defaultdict(list)
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            rows[row[0]].append(row)
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    reopens = 0

    def emit(at: datetime, ticket: str, kind: str, **fields: Any) -> None:
        data = {"event_id": f"sn-{len(events)}", "type": kind, "ticket_id": ticket}
        events.append((at, len(events), {**data, "ts": at.isoformat(), **fields}))

    for number, trail in rows.items():
        trail.sort(key=lambda r: int(r[5]))
        first, ticket = trail[0], "INC" + number
        opened = ts(first[9])
        team = "g" + first[23] if first[23] != "?" else "unassigned"
        priority = {"1": "urgent", "2": "high", "3": "normal", "4": "low"}.get(first[22], "normal")
        emit(opened, ticket, "ticket.created", team=team, channel="phone", priority=priority,
             customer_id="c" + first[7])  # fmt: skip
        state, answered, waiting, closed, at = "New", False, False, False, opened
        for row in trail:
            at = max(ts(row[13]), at)
            group = "g" + row[23] if row[23] != "?" else team
            if group != team:
                emit(at, ticket, "ticket.transferred", from_team=team, to_team=group)
                team = group
            new = row[1]
            if new not in ("New", "-100", "Closed") and not answered:
                emit(at, ticket, "message.agent", agent_id="a" + row[12])
                answered = True
            if new.startswith("Awaiting") and not waiting and state not in ("Resolved", "Closed"):
                emit(at, ticket, "ticket.status", status="pending")
                waiting = True
            elif new == "Active" and waiting:
                emit(at, ticket, "ticket.status", status="open")
                waiting = False
            if new == "Resolved" and state != "Resolved":
                emit(at, ticket, "ticket.resolved")
                waiting = False
            elif state == "Resolved" and new not in ("Resolved", "Closed", "-100"):
                emit(at, ticket, "ticket.reopened")
                reopens += not closed  # after a close: rejected ticket_closed (a few trails)
            if new == "Closed" and state != "Closed":
                emit(at, ticket, "ticket.closed")
                closed = True
            if new != "-100":
                state = new
    events.sort(key=lambda e: (e[0], e[1]))
    return [orjson.dumps(e) for _, _, e in events], reopens
