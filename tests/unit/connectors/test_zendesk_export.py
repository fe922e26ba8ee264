from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streams.connectors.common import PayloadError
from streams.connectors.zendesk_export import convert

from .support import checked, fixture

T = "zendesk:155"


def test_an_export_becomes_the_tickets_history_in_contract_events() -> None:
    events = checked(list(convert(fixture("zendesk_export")["payload"])))
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
        },
        {
            "event_id": f"{T}:export:1005",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2020-09-29T05:31:39+00:00",
        },
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
            "event_id": f"{T}:export:1030",
            "type": "survey.response",
            "ticket_id": T,
            "ts": "2020-09-30T06:31:39+00:00",
            "kind": "csat",
            "score": 5,
        },
    ]


def test_a_document_without_ticket_events_is_refused() -> None:
    with pytest.raises(PayloadError, match="ticket_events"):
        list(convert({"tickets": []}))


def test_import_command_writes_jsonl_with_mapped_team(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps([fixture("zendesk_export")["payload"]]))
    out = tmp_path / "events.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "import",
            "zendesk",
            str(export),
            "--out",
            str(out),
            "--team-map",
            "360001=billing",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 8
    assert lines[0]["team"] == "billing" and lines[4]["from_team"] == "billing"


def test_import_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "import", "zendesk", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot read" in done.stderr
