"""``servicepulse serve`` as a process: webhooks and events in, /metrics equal to ``replay``.

No mocks: the server is started with the CLI on a free port, fed over HTTP,
killed with SIGKILL and restarted on the same data directory.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from streams.connectors import chatwoot, zammad, zendesk
from streams.connectors.common import rfc3339
from streams.ingest_http.auth import zammad_signature, zendesk_signature

FIXTURES = Path(__file__).parents[1] / "unit" / "connectors" / "fixtures"
TOKEN = "s3cret-token"
ZAMMAD_SECRET = "zammad-shared"
ZENDESK_SECRET = "zendesk-shared"
POLICY = """
policies:
  - name: default
    match: {}
    calendar: always
    targets: {first_response: 30d, next_reply: 30d, resolution: 30d}
"""
# depend on the moment of the scrape (wall clock vs replay's event clock) or on delivery
TIME_DEPENDENT = (
    "servicepulse_oldest_open_ticket_age_seconds",
    "servicepulse_oldest_unanswered_ticket_age_seconds",
    "servicepulse_sla_next_deadline_seconds",
    "servicepulse_event_lag_seconds",
)

CHATWOOT = [
    "chatwoot_conversation_created",
    "chatwoot_message_incoming",
    "chatwoot_message_outgoing",
    "chatwoot_message_private",
    "chatwoot_status_pending",
    "chatwoot_status_snoozed",
    "chatwoot_status_open",
    "chatwoot_conversation_updated_team",
    "chatwoot_status_resolved",
    "chatwoot_status_reopened",
    "chatwoot_csat",
]
ZAMMAD = [
    "zammad_created",
    "zammad_article_agent",
    "zammad_article_internal",
    "zammad_article_customer",
    "zammad_state_pending",
    "zammad_group",
    "zammad_state_closed",
    "zammad_state_reopened",
]
ZENDESK = [
    "zendesk_comment_requester",  # first seen through a later event: asserted creation
    "zendesk_created",
    "zendesk_group_changed",
    "zendesk_comment_agent_public",
    "zendesk_comment_agent_private",
    "zendesk_status_pending",
    "zendesk_status_hold",
    "zendesk_status_open",
    "zendesk_status_solved",
    "zendesk_status_reopened",
    "zendesk_status_closed",
    "zendesk_satisfaction_good",
    "zendesk_satisfaction_bad",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
EPOCH_KEYS = ("created_at", "updated_at", "timestamp", "last_activity_at")


def _shift(value: Any, delta: float, key: str = "", seen: list[float] | None = None) -> Any:
    """The payload with every time moved by ``delta`` seconds (or, with ``seen``, only
    collected): the documented samples are years old, live webhooks are not."""
    if isinstance(value, dict):
        return {k: _shift(v, delta, k, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta, key, seen) for v in value]
    if isinstance(value, str) and DATE.match(value):
        moment = datetime.fromisoformat(rfc3339(value)).timestamp()
    elif isinstance(value, int | float) and key in EPOCH_KEYS and value > 1e9:
        moment = float(value)
    else:
        return value
    if seen is not None:
        seen.append(moment)
        return value
    moved = moment + delta
    if isinstance(value, str):
        return datetime.fromtimestamp(moved, UTC).isoformat().replace("+00:00", "Z")
    return moved


def recent(names: list[str]) -> dict[str, dict[str, Any]]:
    """The samples of one product, moved so that their latest time is two minutes ago."""
    found: list[float] = []
    for name in names:
        _shift(sample(name)["payload"], 0.0, seen=found)
    delta = time.time() - 120 - max(found)
    return {
        name: {**sample(name), "payload": _shift(sample(name)["payload"], delta)} for name in names
    }


class Serve:
    """One ``servicepulse serve`` process on a free port."""

    def __init__(self, data_dir: Path, policy: Path, segment_mb: float, max_body: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable, "-m", "streams.cli", "serve", "--port", str(self.port),
            "--token", TOKEN, "--data-dir", str(data_dir), "--policy", str(policy),
            "--segment-mb", str(segment_mb), "--max-body", str(max_body), "--tick", "0.2",
            "--webhook-secret", f"zammad={ZAMMAD_SECRET}",
            "--webhook-secret", f"zendesk={ZENDESK_SECRET}",
        ]  # fmt: skip
        self.log = data_dir.parent / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.limit: int | None = None  # RLIMIT_FSIZE of the process, bytes

    def start(self) -> Serve:
        limit = self.limit

        def limit_files() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=log, preexec_fn=limit_files
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve did not become ready: {self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def post(self, path: str, body: bytes, **headers: str) -> requests.Response:
        headers.setdefault("Authorization", f"Bearer {TOKEN}")
        return requests.post(f"{self.url}{path}", data=body, headers=headers, timeout=30)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return samples(requests.get(f"{self.url}/metrics", timeout=10).text)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith(TIME_DEPENDENT) or not s.name.startswith("servicepulse_"):
                continue
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def replay(events: list[dict[str, Any]], policy: Path, tmp: Path) -> dict:
    path = tmp / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", str(path), "--policy", str(policy)],
        capture_output=True,
        check=True,
    )
    return samples(done.stdout.decode())


def send_webhook(serve: Serve, name: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """POST one documented sample to its endpoint (signed where the product signs);
    returns the contract events the connector makes of it."""
    body = json.dumps(data["payload"]).encode()
    product = name.split("_")[0]
    headers: dict[str, str] = {"Content-Type": "application/json"}
    path = f"/v1/webhooks/{product}"
    if product == "chatwoot":  # Chatwoot cannot set headers: the token in the URL
        path += f"?token={TOKEN}"
        headers["Authorization"] = ""
        events = chatwoot.translate(data["payload"])
    elif product == "zammad":
        trigger = data["headers"]["X-Zammad-Trigger"]
        headers["X-Zammad-Trigger"] = trigger
        headers["X-Zammad-Delivery"] = data["headers"]["X-Zammad-Delivery"]
        headers["X-Hub-Signature"] = zammad_signature(ZAMMAD_SECRET.encode(), body)
        events = zammad.translate(data["payload"], trigger)
    else:
        stamp = stamp_now()
        headers["X-Zendesk-Webhook-Signature-Timestamp"] = stamp
        headers["X-Zendesk-Webhook-Signature"] = zendesk_signature(
            ZENDESK_SECRET.encode(), stamp, body
        )
        events = zendesk.translate(data["payload"])
    if headers.get("Authorization") == "":
        del headers["Authorization"]
        answer = requests.post(f"{serve.url}{path}", data=body, headers=headers, timeout=30)
    else:
        answer = serve.post(path, body, **headers)
    assert answer.status_code == 200, (name, answer.text)
    assert answer.json() == {"accepted": len(events), "rejected": []}, name
    return events


def plain_events(prefix: str, count: int) -> list[dict[str, Any]]:
    """Tickets of the last minutes: created, answered, some resolved."""
    now = time.time()
    events = []
    for n in range(count):
        ticket = f"{prefix}-{n}"
        created = now - 600 + n

        def ts(offset: float, created: float = created) -> str:
            return datetime.fromtimestamp(created + offset, UTC).isoformat()

        events.append({"event_id": f"{ticket}-c", "type": "ticket.created", "ticket_id": ticket,
                       "ts": ts(0), "team": ("billing", "technical")[n % 2], "channel": "email",
                       "priority": "normal", "customer_id": f"cust-{n}"})  # fmt: skip
        events.append({"event_id": f"{ticket}-a", "type": "message.agent", "ticket_id": ticket,
                       "ts": ts(60), "agent_id": f"agent-{n % 3}"})  # fmt: skip
        if n % 2:
            events.append({"event_id": f"{ticket}-r", "type": "ticket.resolved",
                           "ticket_id": ticket, "ts": ts(120)})  # fmt: skip
    return events


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def servers() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.stop()


@pytest.mark.parametrize("segment_mb", [64.0, 0.004], ids=["journal", "compacted"])
def test_serve_metrics_equal_replay_and_survive_sigkill(
    tmp_path: Path, policy: Path, servers: list[Serve], segment_mb: float
) -> None:
    data_dir = tmp_path / "data"
    serve = Serve(data_dir, policy, segment_mb, max_body=1 << 20)
    servers.append(serve.start())
    sent: list[dict[str, Any]] = []
    samples_now = recent(CHATWOOT) | recent(ZAMMAD) | recent(ZENDESK)
    for name in CHATWOOT + ZAMMAD + ZENDESK:
        sent += send_webhook(serve, name, samples_now[name])
    batch = plain_events("plain", 30)
    answer = serve.post("/v1/events", json.dumps(batch).encode())
    assert answer.json() == {"accepted": len(batch), "rejected": []}
    sent += batch
    jsonl = plain_events("lines", 5)
    body = "".join(json.dumps(e) + "\n" for e in jsonl).encode()
    answer = serve.post("/v1/events", body, **{"Content-Type": "application/x-ndjson"})
    assert answer.json() == {"accepted": len(jsonl), "rejected": []}
    sent += jsonl
    # product retries and a re-sent batch: same event ids, counted once
    for name in ("zendesk_comment_agent_public", "chatwoot_message_incoming"):
        sent += send_webhook(serve, name, samples_now[name])
    serve.post("/v1/events", json.dumps(batch[:10]).encode())
    sent += batch[:10]

    before = serve.metrics()
    expected = replay(sent, policy, tmp_path)
    assert before == expected
    created = sum(v for (n, _), v in before.items() if n == "servicepulse_tickets_created_total")
    assert created == 1 + 1 + 2 + 30 + 5  # chatwoot, zammad, two zendesk tickets, plain ones
    if segment_mb < 1:
        assert (data_dir / "snapshot.json").exists()
        assert len(list(data_dir.glob("journal-*.log"))) == 1  # older segments compacted away

    serve.kill()
    servers.append(serve.start())  # same port, same data dir
    assert serve.metrics() == before  # nothing acknowledged lost, nothing counted twice

    more = plain_events("after", 4)
    serve.post("/v1/events", json.dumps(more + batch[:3]).encode())  # with a retry
    sent += more + batch[:3]
    assert serve.metrics() == replay(sent, policy, tmp_path)


def processed(serve: Serve) -> float:
    return sum(
        v for (n, _), v in serve.metrics().items() if n == "servicepulse_events_processed_total"
    )


def test_bad_requests_are_refused_with_one_line_and_nothing_accepted(
    tmp_path: Path, policy: Path, servers: list[Serve]
) -> None:
    serve = Serve(tmp_path / "data", policy, 64.0, max_body=4096)
    servers.append(serve.start())
    event = plain_events("bad", 1)[0]
    body = json.dumps(event).encode()

    def refused(answer: requests.Response, status: int) -> str:
        assert answer.status_code == status, answer.text
        assert answer.text.count("\n") == 1 and answer.text.strip()
        return answer.text

    refused(serve.post("/v1/events", body, Authorization="Bearer wrong"), 401)
    refused(requests.post(f"{serve.url}/v1/events", data=body, timeout=10), 401)
    refused(requests.post(f"{serve.url}/v1/events?token=nope", data=body, timeout=10), 401)
    zammad_body = json.dumps(sample("zammad_created")["payload"]).encode()
    refused(serve.post("/v1/webhooks/zammad", zammad_body, **{"X-Hub-Signature": "sha1=00"}), 401)
    refused(serve.post("/v1/webhooks/zammad", zammad_body), 401)  # unsigned
    zendesk_body = json.dumps(sample("zendesk_created")["payload"]).encode()
    forged = zendesk_signature(b"other secret", stamp_now(), zendesk_body)
    headers = {
        "X-Zendesk-Webhook-Signature": forged,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp_now(),
    }
    refused(serve.post("/v1/webhooks/zendesk", zendesk_body, **headers), 401)
    assert processed(serve) == 0

    assert "larger than 4096" in refused(serve.post("/v1/events", b"[" + b" " * 5000 + b"]"), 400)
    assert "not JSON" in refused(serve.post("/v1/events", b'{"event_id": '), 400)
    assert "empty" in refused(serve.post("/v1/events", b""), 400)
    assert "not a Zendesk" in refused(
        serve.post(f"/v1/webhooks/zendesk?token={TOKEN}", b'{"event": "message_created"}',
                   **headers_signed(b'{"event": "message_created"}')),
        400,
    )  # fmt: skip
    chatwoot_body = json.dumps(sample("chatwoot_message_incoming")["payload"]).encode()
    assert "no 'ticket'" in refused(
        serve.post("/v1/webhooks/zammad", chatwoot_body,
                   **{"X-Hub-Signature": zammad_signature(ZAMMAD_SECRET.encode(), chatwoot_body)}),
        400,
    )  # fmt: skip
    assert "no 'event'" in refused(serve.post("/v1/webhooks/chatwoot", zammad_body), 400)
    assert processed(serve) == 0

    # a bad element is reported by index; its neighbours are accepted
    mixed = [event, {"type": "ticket.created"}, "text"]
    answer = serve.post("/v1/events", json.dumps(mixed).encode())
    assert answer.json() == {
        "accepted": 1,
        "rejected": [
            {"index": 1, "reason": "missing_field"},
            {"index": 2, "reason": "not_an_object"},
        ],
    }
    assert processed(serve) == 1


def stamp_now() -> str:
    """A Zendesk signature timestamp: the signature window (auth.py) refuses an old one."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers_signed(body: bytes) -> dict[str, str]:
    stamp = stamp_now()
    return {
        "X-Zendesk-Webhook-Signature": zendesk_signature(ZENDESK_SECRET.encode(), stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def test_serve_answers_503_when_the_journal_cannot_be_written(
    tmp_path: Path, policy: Path, servers: list[Serve]
) -> None:
    """A real write failure: the process may not grow a file past 24 KiB (RLIMIT_FSIZE,
    EFBIG as on a full disk). Refused batches are not counted; accepted ones survive."""
    data_dir = tmp_path / "data"
    serve = Serve(data_dir, policy, 64.0, max_body=1 << 20)
    limit = 24 * 1024
    serve.limit = limit
    servers.append(serve.start())
    statuses = []
    accepted: list[dict[str, Any]] = []
    for n in range(40):
        batch = plain_events(f"full{n}", 3)
        answer = serve.post("/v1/events", json.dumps(batch).encode())
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            accepted += batch
        else:
            assert answer.status_code == 503
            assert answer.text.count("\n") == 1 and "journal write failed" in answer.text
    assert 200 in statuses and 503 in statuses
    assert processed(serve) == len(accepted)
    before = serve.metrics()
    assert before == replay(accepted, policy, tmp_path)
    serve.kill()
    serve.limit = None
    servers.append(serve.start())
    assert serve.metrics() == before
