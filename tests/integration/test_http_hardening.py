"""The HTTP surface against hostile clients, on real processes over loopback.

``serve`` (and ``ingest`` without Kafka) as subprocesses: a body of many tiny
elements, slow and idle connections beyond the file limit, a corrupt gzip
body, tokens; and the demo's ``/metrics`` server against trickling clients.
Every loop here is bounded by a deadline; every socket is on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from streams.export.http import MetricsServer
from tests.processes import free_port

TOKEN = "hardening-token-0123456789"


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


class Server:
    """``servicepulse serve|ingest`` on a free port, its output in a log file."""

    def __init__(self, tmp: Path, *args: str, files: int | None = None, command: str = "serve"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"{command}-{self.port}.log"
        argv = [sys.executable, "-m", "streams.cli", command, "--port", str(self.port), *args]
        if command == "serve":
            argv += ["--data-dir", str(tmp / f"data-{self.port}")]

        def limit_files() -> None:
            if files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log, preexec_fn=limit_files)

    def ready(self, path: str = "/health", status: int = 200) -> Server:
        def answers() -> bool:
            assert self.process.poll() is None, self.log.read_text()
            try:
                return requests.get(self.url + path, timeout=1).status_code == status
            except requests.ConnectionError:
                return False

        wait_for(answers, 30, "the server did not start")
        return self

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS"))
        return int(line.split()[1]) / 1024

    def post(self, path: str, body: bytes, **headers: str) -> requests.Response:
        headers.setdefault("Authorization", f"Bearer {TOKEN}")
        return requests.post(self.url + path, data=body, headers=headers, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def tiny_elements(count: int) -> bytes:
    return b"[" + b",".join([b"0"] * count) + b"]"


@pytest.mark.parametrize("command", ["serve", "ingest"])
def test_a_body_of_tiny_elements_is_bounded_and_rss_stays_flat(
    tmp_path: Path, servers: list[Server], command: str
) -> None:
    # ingest with no broker at all (a closed port): the body is judged before the store
    extra = ["--broker", f"127.0.0.1:{free_port()}"] if command == "ingest" else []
    server = Server(tmp_path, "--token", TOKEN, *extra, command=command)
    servers.append(server)
    server.ready("/health", 200 if command == "serve" else 503)
    before = server.rss_mb()
    # 1 MiB of "[0,0,...]": 500,000 elements took serve from 50 MB to 2.1 GB and a 20 MB answer
    answer = server.post("/v1/events", tiny_elements(500_000))
    assert answer.status_code == 413, answer.text[:200]
    assert (
        answer.text == "500000 events in the body, at most 10000; send them in several requests\n"
    )
    # the most a body may hold: its answer lists 100 rejections and counts them all
    answer = server.post("/v1/events", tiny_elements(10_000))
    if command == "serve":
        found = answer.json()
        assert (found["accepted"], found["rejected_total"], len(found["rejected"])) == (
            0,
            10_000,
            100,
        )
        assert len(answer.content) < 5_000
    else:
        assert answer.status_code == 503 and answer.text.count("\n") == 1  # no Kafka: not stored
    grown = server.rss_mb() - before
    assert grown < 30, f"RSS grew {grown:.0f} MB (from {before:.0f} MB)"
    assert "Traceback" not in server.log.read_text()


def test_a_corrupt_gzip_body_is_a_one_line_400_and_nothing_is_logged(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = Server(tmp_path, "--token", TOKEN)
    servers.append(server.ready())
    answer = server.post(
        "/v1/events", b"\x1f\x8b\x08\x00garbage" * 50, **{"Content-Encoding": "gzip"}
    )
    assert answer.status_code == 400 and answer.text.count("\n") == 1, answer.text
    good = gzip.compress(b'{"event_id":"g1","type":"ticket.reopened","ticket_id":"g",'
                         b'"ts":"2026-11-24T06:00:00Z","team":"a"}')  # fmt: skip
    answer = server.post("/v1/events", good, **{"Content-Encoding": "gzip"})
    assert answer.json() == {"accepted": 1, "rejected": []}
    assert "Traceback" not in server.log.read_text()


def test_the_token_file_keeps_the_token_out_of_the_process_list_and_short_tokens_fail(
    tmp_path: Path, servers: list[Server]
) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    server = Server(tmp_path, "--token-file", str(secret))
    servers.append(server.ready())
    assert TOKEN.encode() not in Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
    assert server.post("/v1/events", b"[0]").json()["rejected"][0]["reason"] == "not_an_object"

    short = Server(tmp_path, "--token", "too-short-token")  # 15 characters
    servers.append(short)
    assert short.process.wait(30) == 2
    assert short.log.read_text().strip().splitlines() == [
        "servicepulse: error: the token has 15 characters, at least 16 are required "
        "(e.g. openssl rand -hex 24)"
    ]


def test_a_webhook_token_admits_its_path_only(tmp_path: Path, servers: list[Server]) -> None:
    chatwoot = "chatwoot-only-token-0123"
    server = Server(tmp_path, "--token", TOKEN, "--webhook-token", f"chatwoot={chatwoot}")
    servers.append(server.ready())
    body = b'{"event": "conversation_created"}'
    as_url = server.post(f"/v1/webhooks/chatwoot?token={chatwoot}", body, Authorization="")
    assert as_url.status_code == 400 and "chatwoot:" in as_url.text  # admitted; body incomplete
    for path in ("/v1/events", "/v1/webhooks/zammad", "/v1/webhooks/nosuch"):
        for answer in (
            server.post(f"{path}?token={chatwoot}", b"[0]", Authorization=""),
            server.post(path, b"[0]", Authorization=f"Bearer {chatwoot}"),
        ):
            assert answer.status_code == 401, (path, answer.text)
    unknown = server.post("/v1/webhooks/nosuch", b"{}")
    assert (unknown.status_code, unknown.text) == (
        404,
        "no such webhook; one of chatwoot, zammad, zendesk\n",
    )


class Trickle:
    """Sockets that each send a byte of a request every ``every`` seconds (a slowloris);
    records when the server closed each one. Stops by itself after ``seconds``."""

    def __init__(self, port: int, count: int, every: float, seconds: float) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        self.started = time.monotonic()
        self.closed_after: dict[int, float] = {}
        self.every, self.seconds = every, seconds
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 1000
        position = 0
        while time.monotonic() - self.started < self.seconds:
            for number, sock in enumerate(self.sockets):
                if number in self.closed_after:
                    continue
                try:
                    sock.sendall(request[position : position + 1])
                    sock.setblocking(False)
                    try:
                        if sock.recv(4096) == b"":
                            raise ConnectionResetError
                    except BlockingIOError:
                        pass
                    finally:
                        sock.setblocking(True)
                except OSError:
                    self.closed_after[number] = time.monotonic() - self.started
            if len(self.closed_after) == len(self.sockets):
                return
            position += 1
            time.sleep(self.every)

    def close(self) -> None:
        self.thread.join(self.seconds + 5)
        for sock in self.sockets:
            sock.close()


def test_slow_clients_are_cut_at_the_request_deadline_and_scrapes_go_on(
    tmp_path: Path, servers: list[Server]
) -> None:
    server = Server(tmp_path, "--token", TOKEN, "--request-timeout", "2")
    servers.append(server.ready())
    trickle = Trickle(server.port, count=8, every=0.5, seconds=12)
    try:
        scrapes = []
        while len(trickle.closed_after) < 8 and time.monotonic() - trickle.started < 10:
            scrapes.append(requests.get(f"{server.url}/metrics", timeout=5).status_code)
            time.sleep(0.2)
        assert set(scrapes) == {200}
        # a byte every 0.5 s kept every read well inside any per-read timeout: only a
        # deadline for the whole request ends them, 2 s after they connected
        assert len(trickle.closed_after) == 8
        assert all(1.5 <= after <= 4.0 for after in trickle.closed_after.values()), (
            trickle.closed_after
        )
    finally:
        trickle.close()


def idle_connections(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def test_connections_beyond_the_file_limit_are_refused_cleanly_with_one_log_line(
    tmp_path: Path, servers: list[Server]
) -> None:
    # the common limit of 1,024 open files, and 1,100 idle connections
    server = Server(tmp_path, "--token", TOKEN, "--request-timeout", "10",
                    "--max-connections", "2000", files=1024)  # fmt: skip
    servers.append(server.ready())
    idle = idle_connections(server.port, 1100)
    try:
        refused = 0
        # 1,024 - 64 kept for files - 128 accepted at once to be refused: 832 at most
        for sock in idle[832:]:
            sock.settimeout(5)
            answer = sock.recv(200)
            refused += answer.startswith(b"HTTP/1.1 503 Service Unavailable")
        assert refused == 1100 - 832
        # the idle ones are closed at their deadline, and the server answers again
        wait_for(lambda: _health(server) == 200, 25, "serve did not recover")
        for sock in idle[:10]:
            sock.settimeout(5)
            assert sock.recv(100) == b""
    finally:
        for sock in idle:
            sock.close()
    log = server.log.read_text()
    assert "Traceback" not in log
    assert "at most 832 connections (open-file limit 1024)" in log
    refusals = [line for line in log.splitlines() if "refused in the last minute" in line]
    assert len(refusals) == 1, log


def _health(server: Server) -> int:
    try:
        return requests.get(f"{server.url}/health", timeout=2).status_code
    except requests.RequestException:
        return 0


def scrape(port: int) -> int:
    try:
        return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code
    except requests.RequestException:
        return 0


def test_the_demo_metrics_server_scrapes_despite_8_trickling_clients() -> None:
    # the demo's limits (8 connections) with a 2 s deadline instead of 10 s
    server = MetricsServer("127.0.0.1", 0, lambda: b"servicepulse_up 1\n", timeout=2.0).start()
    try:
        trickle = Trickle(server.port, count=8, every=0.5, seconds=8)
        try:
            wait_for(lambda: time.monotonic() - trickle.started > 1.2, 5, "clock")
            # every slot is held by a trickler older than 1 s: a scrape displaces one
            assert [scrape(server.port) for _ in range(5)] == [200] * 5
            wait_for(lambda: len(trickle.closed_after) == 8, 6, "trickling clients stayed")
            assert max(trickle.closed_after.values()) <= 3.0, trickle.closed_after
        finally:
            trickle.close()
        assert scrape(server.port) == 200
    finally:
        server.stop()
