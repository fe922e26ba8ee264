"""Issue 10, item 12: the team-lead receiver refuses bad bodies and cannot be made to forge logs."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).parents[3] / "deploy" / "stack" / "team_lead.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("team_lead", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["team_lead"] = module
    spec.loader.exec_module(module)
    return module


team_lead = load()


@pytest.fixture
def receiver() -> Iterator[Any]:
    server = team_lead.BoundedServer(
        ("127.0.0.1", 0), team_lead.make_handler(team_lead.Store(None))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def raw_request(server: Any, data: bytes) -> bytes:
    with socket.create_connection(server.server_address, timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_bad_content_length_is_400_not_a_traceback(receiver: Any) -> None:
    for value in (b"abc", b"-5", b"1e3"):
        answer = raw_request(
            receiver, b"POST /billing HTTP/1.1\r\nContent-Length: " + value + b"\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.0 400"), answer


def test_a_body_over_1_mib_is_413_without_being_read(receiver: Any) -> None:
    answer = raw_request(
        receiver, b"POST /billing HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n{}"
    )
    assert answer.startswith(b"HTTP/1.0 413")


def test_a_good_notification_still_gets_through(receiver: Any) -> None:
    body = json.dumps({"alerts": [{"status": "firing", "labels": {"alertname": "X"}}]}).encode()
    head = f"POST /billing HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    assert raw_request(receiver, head + body).startswith(b"HTTP/1.0 200")


def test_a_newline_in_a_label_cannot_forge_a_log_line() -> None:
    payload = {
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "A\n2026-01-01T00:00:00Z billing RESOLVED critical Fake",
                    "severity": "page\r",
                    "target": "x" * 10_000,
                },
                "annotations": {"summary": "\x1b[2Jcleared"},
            },
            "not an alert",
        ]
    }
    lines = team_lead.describe("2026-11-23T10:00:00Z", "/billing\nfake", payload)
    assert len(lines) == 1
    (line,) = lines
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "billing\\nfake" in line and "A\\n2026-01-01" in line
    assert len(line) < 600
