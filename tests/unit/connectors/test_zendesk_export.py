from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from streams.connectors.common import PayloadError
from streams.connectors.zendesk_export import convert

from .support import checked, fixture

T = "zendesk:155"
OLD = "zendesk:140"  # created before the export's start


def export() -> list[dict[str, Any]]:
    return list(fixture("zendesk_export")["payload"])


def test_an_export_becomes_the_tickets_history_in_contract_events() -> None:
    events = checked(list(convert(export())))
    assert events == [
        {
            "event_id": f"{T}:created",
            "type": "ticket.created",
            "ticket_id": T,
            "ts": "2020-09-29T05:31:39+00:00",
            "team": "group-360001",
            "channel": "web",
            "priority": "high",
            "customer_id": "zendesk:1507432183",
            "category": "inquiry",
        },
        # 1005, the requester's description, opens the ticket: no message
        {
            "event_id": f"{T}:export:1010",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-09-29T05:46:39+00:00",
            "agent_id": "zendesk:900",
        },
        {
            "event_id": f"{T}:export:1011",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": "2020-09-29T05:46:39+00:00",
            "status": "pending",
        },
        {  # 777 is a CC'd end user (role end-user): the customer's side
            "event_id": f"{T}:export:1015",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2020-09-29T06:01:39+00:00",
        },
        {  # first seen through a Change: created at that audit, with the value before it
            "event_id": f"{OLD}:created",
            "type": "ticket.created",
            "ticket_id": OLD,
            "ts": "2020-09-29T06:10:00+00:00",
            "team": "unassigned",
            "channel": "web",
            "priority": "normal",
            "customer_id": "zendesk:unknown",
        },
        {
            "event_id": f"{OLD}:export:2001",
            "type": "ticket.updated",
            "ticket_id": OLD,
            "ts": "2020-09-29T06:10:00+00:00",
            "priority": "urgent",
        },
        {  # children without an id: <audit id>.<position>
            "event_id": f"{OLD}:export:926256957650.1",
            "type": "message.agent",
            "ticket_id": OLD,
            "ts": "2020-09-29T06:10:00+00:00",
            "agent_id": "zendesk:901",
        },
        {
            "event_id": f"{OLD}:export:926256957650.2",
            "type": "ticket.status",
            "ticket_id": OLD,
            "ts": "2020-09-29T06:10:00+00:00",
            "status": "pending",
        },
        {
            "event_id": f"{T}:export:1020",
            "type": "ticket.transferred",
            "ticket_id": T,
            "ts": "2020-09-29T06:31:39+00:00",
            "from_team": "group-360001",
            "to_team": "group-360002",
        },
        {
            "event_id": f"{T}:export:1021",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-09-29T06:31:39+00:00",
            "agent_id": "zendesk:900",
            "public": False,
        },
        {
            "event_id": f"{T}:export:1022",
            "type": "ticket.resolved",
            "ticket_id": T,
            "ts": "2020-09-29T06:31:39+00:00",
        },
        {
            "event_id": f"{T}:csat",
            "type": "survey.response",
            "ticket_id": T,
            "ts": "2020-09-30T06:31:39+00:00",
            "kind": "csat",
            "score": 5,
        },
    ]


def test_without_users_pages_agents_are_those_who_do_what_only_agents_do() -> None:
    page = export()[0]  # no roles: 900 set the ticket pending, 901 did too; 777 did nothing
    events = list(convert(page))
    kinds = {e["event_id"].rsplit(":", 1)[1]: e["type"] for e in events}
    assert kinds["1010"] == "message.agent"
    assert kinds["1015"] == "message.customer"
    assert kinds["926256957650.1"] == "message.agent"


def test_an_agent_who_opens_a_ticket_writes_no_reply_with_the_description() -> None:
    page = export()[0]
    first = page["ticket_events"][0]
    first["updater_id"] = 900
    first["child_events"][5]["author_id"] = 900  # the description, written by the agent
    description = next(e for e in convert([page, export()[1]]) if e["event_id"].endswith(":1005"))
    assert description["type"] == "message.agent" and description["public"] is False


def audit(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "ticket_id": 7,
        "timestamp": 1601357499,
        "created_at": "2020-09-29T05:31:39Z",
        "updater_id": 900,
        "via": "Web form",
        "event_type": "Audit",
        "child_events": [{"id": 11, "status": "pending", "event_type": "Change"}],
    }
    return {**base, **fields}


def test_broken_audits_are_counted_skips_not_tracebacks() -> None:
    page = {
        "ticket_events": [
            audit(id="2", ticket_id="7", created_at=None, timestamp="1601357600"),  # str, str
            audit(id=3, ticket_id=7, created_at=None, timestamp=1601357500),  # int, int
            audit(id=4, child_events=5),  # a number
            audit(id=5, created_at="yesterday", timestamp=None),
            audit(id=6, ticket_id=None),
            audit(id=7, ticket_id=True),
            "not an audit",
            audit(id=8, child_events=[{"event_type": "Change", "status": "hold"}, 3]),
        ]
    }
    skipped: Counter[str] = Counter()
    events = checked(list(convert(page, skipped=skipped)))
    assert skipped == {
        "bad_child_events": 1,
        "bad_timestamp": 1,
        "no_ticket_id": 2,
        "audit_not_object": 1,
        "child_not_object": 1,
    }
    # 1601357499 (id 8), 1601357500 (id 3), 1601357600 (id "2"): sorted by time across types
    assert [e["event_id"] for e in events] == [
        "zendesk:7:created",
        "zendesk:7:export:8.0",
        "zendesk:7:export:11",
        "zendesk:7:export:11",  # ids 3 and "2" repeat child 11: the engine drops the second
    ]


def test_children_without_ids_get_distinct_ids() -> None:
    children = [{"event_type": "Change", "status": s} for s in ("pending", "open", "hold")]
    events = list(convert({"ticket_events": [audit(child_events=children)]}))
    ids = [e["event_id"] for e in events[1:]]
    assert ids == ["zendesk:7:export:1.0", "zendesk:7:export:1.1", "zendesk:7:export:1.2"]


def test_a_document_without_ticket_events_is_refused() -> None:
    with pytest.raises(PayloadError, match="ticket_events"):
        list(convert({"tickets": []}))
    with pytest.raises(PayloadError, match="ticket_events"):
        list(convert([7]))


def importing(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streams.cli", "import", "zendesk", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_import_command_writes_jsonl_with_mapped_team(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export()))
    out = tmp_path / "events.jsonl"
    done = importing(str(path), "--out", str(out), "--team-map", "360001=billing")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 12
    assert lines[0]["team"] == "billing" and lines[8]["from_team"] == "billing"
    assert done.stderr == f"servicepulse: 12 events from {path}\n"


def test_import_reads_one_page_per_line_and_reports_skips(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    broken = {"ticket_events": [audit(child_events=5)]}
    path.write_text("".join(json.dumps(page) + "\n" for page in [*export(), broken]))
    done = importing(str(path))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 12
    assert done.stderr == f"servicepulse: 12 events from {path} (skipped: bad_child_events 1)\n"


def test_import_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = importing(str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot read" in done.stderr


def test_import_of_an_endless_device_is_one_line_not_a_memory_error() -> None:
    done = importing("/dev/zero")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "line 1 is longer than" in done.stderr


def test_import_of_a_non_export_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"tickets": []}')
    done = importing(str(path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no 'ticket_events' list" in done.stderr
