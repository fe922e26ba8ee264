"""Fuzzing the HTTP bodies of a real ``serve``: every answer is a 2xx or a one-line 4xx,
never a 5xx or a traceback, and every element answered is counted in /metrics once.

Bodies (hypothesis): JSON arrays and objects of random shapes, valid events among
junk, deep nesting, huge strings, invalid UTF-8, JSONL, gzip (valid, corrupt, a bomb),
wrong or missing content types; and random payloads to the webhook paths.

Accounting: a valid element is a ``ticket.created`` of a ticket never seen (so the
engine decides at once: nothing is held), or a random or mutated element, which the
intake or the engine rejects or processes at once. So the elements of the ``200``
answers (``accepted`` + rejections) equal the growth of processed + rejected +
duplicate events in /metrics, and each rejection reason answered is at least that
much growth of its counter.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.processes import Processes
from tests.serve_process import LONG_TARGETS, Samples, ServeProcess, value

MAX_BODY = 1024 * 1024  # --max-body of the serve under test: the bomb and huge bodies pass it
_ids = itertools.count()


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    policy = tmp / "policy.yml"
    policy.write_text(LONG_TARGETS)
    processes = Processes(tmp / "logs")
    server = ServeProcess(
        processes, tmp / "data", "--max-body", str(MAX_BODY), policy=policy
    ).start()
    try:
        yield server, tmp / "logs"
    finally:
        processes.stop()


def fresh_created() -> dict[str, Any]:
    n = next(_ids)
    return {
        "event_id": f"fz-e-{n}",
        "type": "ticket.created",
        "ts": "2026-11-18T10:00:00Z",
        "ticket_id": f"fz-t-{n}",
        "team": "billing",
        "channel": "email",
        "priority": "normal",
        "customer_tier": "standard",
    }


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["x" * 300, "y" * 70_000, "line\nbreak", "\u2028", "ticket.created"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A fresh ``ticket.created`` with one field replaced, removed or added."""
    event = fresh_created()
    field = draw(st.sampled_from([*sorted(event), "extra"]))
    if draw(st.booleans()) and field in event:
        del event[field]
    else:
        event[field] = draw(json_value)
    return event


def deep(levels: int) -> Any:
    value: Any = {"type": "ticket.created"}
    for _ in range(levels):
        value = {"a": value}
    return value


element = st.one_of(
    st.builds(fresh_created),
    mutated(),
    json_value,
    st.integers(min_value=1, max_value=1500).map(deep),
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


@cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros in about 64 KiB: decoded past --max-body."""
    return gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)


Body = tuple[bytes, dict[str, str]]
JSON = {"Content-Type": "application/json"}


@st.composite
def bodies(draw: st.DrawFn) -> Body:
    kind = draw(
        st.sampled_from(["array", "object", "jsonl", "gzip", "bytes", "utf8", "type", "deep"])
    )
    elements = draw(st.lists(element, min_size=1, max_size=30))
    if kind == "array":
        return dumps(elements), JSON
    if kind == "object":
        return dumps(elements[0]), JSON
    if kind == "jsonl":
        lines = [json.dumps(e) for e in elements]
        if draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "{", "]"])))
        return "\n".join(lines).encode(), {"Content-Type": "application/x-ndjson"}
    if kind == "gzip":
        how = draw(st.sampled_from(["valid", "corrupt", "bomb"]))
        if how == "valid":
            data = gzip.compress(dumps(elements))
        elif how == "corrupt":
            data = gzip.compress(dumps(elements))[: draw(st.integers(1, 30))] + b"\x00garbage"
        else:
            data = gzip_bomb()
        return data, {**JSON, "Content-Encoding": "gzip"}
    if kind == "bytes":
        return draw(st.binary(max_size=2000)), JSON
    if kind == "utf8":  # invalid UTF-8 inside a string of a valid-looking event
        raw = dumps(elements[0] if isinstance(elements[0], dict) else fresh_created())
        return raw.replace(b'"', b'"\xff\xfe', 1), JSON
    if kind == "type":
        content_type = draw(
            st.sampled_from(
                ["text/plain", "multipart/form-data; boundary=x", "application/xml", "", "a/b"]
            )
        )
        return dumps(elements), {"Content-Type": content_type}
    return b"[" * draw(st.integers(1, 100_000)), JSON  # deep and unterminated


class Tally:
    """What the 200 answers said: elements, and rejections by reason."""

    def __init__(self) -> None:
        self.elements = 0
        self.reasons: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()


def check_answer(answer: requests.Response, tally: Tally) -> None:
    status = answer.status_code
    tally.statuses[status] += 1
    assert 200 <= status < 500, (status, answer.text[:500])
    if status >= 400:
        text = answer.text
        assert text.endswith("\n") and "\n" not in text[:-1], text[:500]
        assert "Traceback" not in text and len(text) <= 301
        return
    body = answer.json()
    listed = body["rejected"]
    total = body.get("rejected_total", len(listed))
    assert total == len(listed), "at most 30 elements a body: every rejection is listed"
    tally.elements += body["accepted"] + total
    tally.reasons.update(item["reason"] for item in listed)


def counted(samples: Samples) -> float:
    return sum(
        value(samples, name)
        for name in (
            "servicepulse_events_processed_total",
            "servicepulse_events_rejected_total",
            "servicepulse_events_duplicate_total",
        )
    )


def no_tracebacks(logs: Path) -> None:
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


def test_fuzzed_event_bodies_get_a_2xx_or_a_one_line_4xx_and_every_element_is_counted_once(
    serve: tuple[ServeProcess, Path],
) -> None:
    server, logs = serve
    before = server.metrics()
    tally = Tally()

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(bodies())
    def post(body: Body) -> None:
        data, headers = body
        check_answer(server.post("/v1/events", data, **headers), tally)

    post()
    after = server.metrics()
    assert tally.statuses[200] > 0 and any(400 <= s < 500 for s in tally.statuses)
    assert counted(after) - counted(before) == tally.elements
    for reason, n in tally.reasons.items():
        grown = value(after, "servicepulse_events_rejected_total", reason=reason) - value(
            before, "servicepulse_events_rejected_total", reason=reason
        )
        assert grown >= n, (reason, grown, n)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    no_tracebacks(logs)


def test_fuzzed_webhook_bodies_get_a_2xx_or_a_one_line_4xx(
    serve: tuple[ServeProcess, Path],
) -> None:
    server, logs = serve
    tally = Tally()

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.sampled_from(["chatwoot", "zammad", "zendesk", "nope", "..%2f"]),
        st.one_of(json_value.map(dumps), st.binary(max_size=500)),
    )
    def post(product: str, data: bytes) -> None:
        check_answer(server.post(f"/v1/webhooks/{product}", data, **JSON), tally)

    post()
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    no_tracebacks(logs)
