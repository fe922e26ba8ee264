"""``servicepulse serve`` as a process: webhooks and events in, /metrics equal to ``replay``.

No mocks: the server is started with the CLI on a free port, fed over HTTP,
killed with SIGKILL and restarted on the same data directory.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from streams.connectors import chatwoot, zammad, zendesk
from streams.connectors.common import rfc3339
from streams.ingest_http.auth import zammad_signature, zendesk_signature
from tests.processes import Processes
from tests.serve_process import LONG_TARGETS, ServeProcess, replay, value

FIXTURES = Path(__file__).parents[1] / "unit" / "connectors" / "fixtures"
TOKEN = "s3cret-token-for-serve"
ZAMMAD_SECRET = "zammad-shared"
ZENDESK_SECRET = "zendesk-shared"
POLICY = LONG_TARGETS

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


def serve_process(
    processes: Processes, data_dir: Path, policy: Path, segment_mb: float, max_body: int
) -> ServeProcess:
    """``serve`` with the token and the Zammad and Zendesk secrets; not started yet."""
    return ServeProcess(
        processes, data_dir, "--segment-mb", str(segment_mb), "--max-body", str(max_body),
        token=TOKEN, policy=policy, secrets={"zammad": ZAMMAD_SECRET, "zendesk": ZENDESK_SECRET},
    )  # fmt: skip


def send_webhook(serve: ServeProcess, name: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """POST one documented sample to its endpoint (signed where the product signs);
    returns the contract events the connector makes of it."""
    body = json.dumps(data["payload"]).encode()
    product = name.split("_")[0]
    headers: dict[str, str | None] = {"Content-Type": "application/json"}
    path = f"/v1/webhooks/{product}"
    if product == "chatwoot":  # Chatwoot cannot set headers: the token in the URL
        path += f"?token={TOKEN}"
        headers["Authorization"] = None
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


@pytest.mark.parametrize("segment_mb", [64.0, 0.004], ids=["journal", "compacted"])
def test_serve_metrics_equal_replay_and_survive_sigkill(
    tmp_path: Path, policy: Path, processes: Processes, segment_mb: float
) -> None:
    data_dir = tmp_path / "data"
    serve = serve_process(processes, data_dir, policy, segment_mb, max_body=1 << 20).start()
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

    before = serve.figures()
    expected = replay(sent, policy, tmp_path)
    assert before == expected
    created = value(before, "servicepulse_tickets_created_total")
    assert created == 1 + 1 + 2 + 30 + 5  # chatwoot, zammad, two zendesk tickets, plain ones
    if segment_mb < 1:
        assert (data_dir / "snapshot.json").exists()
        assert len(list(data_dir.glob("journal-*.log"))) == 1  # older segments compacted away

    serve.kill()
    serve.start()  # same port, same data dir
    assert serve.figures() == before  # nothing acknowledged lost, nothing counted twice

    more = plain_events("after", 4)
    serve.post("/v1/events", json.dumps(more + batch[:3]).encode())  # with a retry
    sent += more + batch[:3]
    assert serve.figures() == replay(sent, policy, tmp_path)


def processed(serve: ServeProcess) -> float:
    return value(serve.metrics(), "servicepulse_events_processed_total")


def test_bad_requests_are_refused_with_one_line_and_nothing_accepted(
    tmp_path: Path, policy: Path, processes: Processes
) -> None:
    serve = serve_process(processes, tmp_path / "data", policy, 64.0, max_body=4096).start()
    event = plain_events("bad", 1)[0]
    body = json.dumps(event).encode()

    def refused(answer: requests.Response, status: int) -> str:
        assert answer.status_code == status, answer.text
        assert answer.text.count("\n") == 1 and answer.text.strip()
        return answer.text

    refused(serve.post("/v1/events", body, Authorization="Bearer wrong"), 401)
    refused(serve.post("/v1/events", body, Authorization=None), 401)
    refused(serve.post("/v1/events?token=nope", body, Authorization=None), 401)
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

    assert "larger than 4096" in refused(
        serve.post("/v1/events", b"[" + b" " * 5000 + b"]"), 413
    )  # Payload Too Large
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
    tmp_path: Path, policy: Path, processes: Processes
) -> None:
    """A real write failure: the process may not grow a file past 24 KiB (RLIMIT_FSIZE,
    EFBIG as on a full disk). Refused batches are not counted; accepted ones survive."""
    data_dir = tmp_path / "data"
    serve = serve_process(processes, data_dir, policy, 64.0, max_body=1 << 20)
    serve.start(file_limit=24 * 1024)  # bytes
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
    before = serve.figures()
    assert before == replay(accepted, policy, tmp_path)
    serve.kill()
    serve.start()
    assert serve.figures() == before
