"""The team-lead receiver refuses bad bodies, cannot be made to forge logs, and slow clients
cannot hold its connections."""

from __future__ import annotations

import importlib.util
import json
import select
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.processes import Processes, free_port, wait_until_up

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
def receiver(processes: Processes) -> Iterator[tuple[str, int]]:
    """The receiver as a process, with a 2 s request deadline and 4 connections at most."""
    port = free_port()
    command = [sys.executable, str(SCRIPT), "--port", str(port)]
    proc = processes.start("team-lead", [*command, "--timeout", "2", "--max-connections", "4"])
    wait_until_up(f"http://127.0.0.1:{port}/health", proc, "team-lead")
    yield ("127.0.0.1", port)


def raw_request(address: tuple[str, int], data: bytes) -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_bad_content_length_is_400_not_a_traceback(receiver: tuple[str, int]) -> None:
    for value in (b"abc", b"-5", b"1e3"):
        answer = raw_request(
            receiver, b"POST /billing HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + b"\r\n\r\n"
        )
        assert status(answer) == 400, answer


def test_a_body_over_1_mib_is_413_without_being_read(receiver: tuple[str, int]) -> None:
    answer = raw_request(
        receiver, b"POST /billing HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n{}"
    )
    assert status(answer) == 413


def test_a_good_notification_still_gets_through(receiver: tuple[str, int]) -> None:
    body = json.dumps({"alerts": [{"status": "firing", "labels": {"alertname": "X"}}]}).encode()
    head = b"POST /billing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n".encode()
    assert status(raw_request(receiver, head + body)) == 200


def test_clients_trickling_a_byte_at_a_time_are_cut_at_the_deadline_and_do_not_block_it(
    receiver: tuple[str, int],
) -> None:
    """4 connections (the cap) send a byte every 0.3 s, two in their headers, two in their
    body: each read arrives well within any per-read timeout, but the whole request has
    2 s, so each is closed about 2 s after it opened (at most 8 s here: a loaded machine),
    long before the 12 s the trickle lasts; meanwhile a fifth client is refused at once."""
    head = b"POST /billing HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    slow = [socket.create_connection(receiver, timeout=5) for _ in range(4)]
    started = time.monotonic()
    for sock in slow[2:]:
        sock.sendall(head)  # the body then trickles
    pending = {sock: (b"POST /billing HTTP/1.1\r\nHost: x\r\n" if i < 2 else b"x" * 100)
               for i, sock in enumerate(slow)}  # fmt: skip
    closed: dict[socket.socket, float] = {}
    refused = None
    while pending and time.monotonic() - started < 12:
        if refused is None and time.monotonic() - started > 0.2:
            refused = raw_request(receiver, b"")  # a 503 needs no request: it comes at once
        readable, _, _ = select.select(list(pending), [], [], 0.3)
        for sock in readable:
            closed[sock] = time.monotonic() - started
            del pending[sock]
        for sock, rest in list(pending.items()):
            try:
                sock.sendall(rest[:1])
            except OSError:
                closed[sock] = time.monotonic() - started
                del pending[sock]
                continue
            pending[sock] = rest[1:] or b"x"
    for sock in slow:
        sock.close()
    assert len(closed) == 4 and max(closed.values()) < 8, closed
    assert refused is not None and status(refused) == 503
    health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert raw_request(receiver, health).endswith(b"\r\n\r\nok\n")


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
