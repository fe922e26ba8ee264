"""The intake's edges: each range end and each type check, accepted or rejected with its reason.

Found untested by mutation testing (docs/mutation.md); the reasons are the stable label values
of ``servicepulse_events_rejected_total{reason}``.
"""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.events import Rejected, parse

TS = "2026-11-23T09:00:00Z"


def make(type_: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": "e", "ticket_id": "t", "ts": TS, "type": type_, **fields}


CREATED = {"team": "x", "channel": "chat", "priority": "low", "customer_id": "c"}


@pytest.mark.parametrize(
    "raw",
    [
        make("qa.review", agent_id="a", score=0),
        make("qa.review", agent_id="a", score=100),
        make("qa.review", agent_id="a", score=99.5),
        make("survey.response", kind="csat", score=1),
        make("survey.response", kind="csat", score=5),
        make("survey.response", kind="nps", score=0),
        make("survey.response", kind="nps", score=10),
        make("survey.response", kind="ces", score=7),
        make("message.agent", agent_id="a", work_seconds=0),
        make("message.agent", agent_id="a", work_seconds=999_999_999.5),
        make("ticket.closed", ts="2026-11-23T09:00:00+01:00"),
        make("ticket.closed", ts="2026-11-23t09:00:00Z"),
        make("ticket.closed", ts="2026-11-23 09:00:00Z"),
        make("ticket.created", **CREATED, customer_tier="vip", category="complaint"),
    ],
)
def test_values_at_the_edges_are_accepted(raw: dict[str, Any]) -> None:
    assert parse(raw).event_id == "e"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (make("qa.review", agent_id="a", score=-0.5), "out_of_range"),
        (make("qa.review", agent_id="a", score=100.5), "out_of_range"),
        (make("qa.review", agent_id="a", score=True), "wrong_type"),
        (make("qa.review", agent_id="a", score="90"), "wrong_type"),
        (make("survey.response", kind="csat", score=0), "out_of_range"),
        (make("survey.response", kind="nps", score=-1), "out_of_range"),
        (make("survey.response", kind="nps", score=11), "out_of_range"),
        (make("survey.response", kind="ces", score=8), "out_of_range"),
        (make("survey.response", kind="csat", score=True), "wrong_type"),
        (make("survey.response", kind="csat"), "missing_field"),
        (make("survey.response", kind="csat", score=None), "missing_field"),
        (make("survey.response", kind="stars", score=3), "invalid_value"),
        (make("ticket.created", **{**CREATED, "channel": 3}), "wrong_type"),
        (make("ticket.created", **{**CREATED, "channel": "fax"}), "invalid_value"),
        (make("ticket.created", **{**CREATED, "priority": "URGENT"}), "invalid_value"),
        (make("ticket.created", **{**CREATED, "team": ""}), "missing_field"),
        (make("ticket.created", **{**CREATED, "team": 7}), "wrong_type"),
        (make("ticket.status", status="closed"), "invalid_value"),
        (make("message.agent", agent_id="a", public="yes"), "wrong_type"),
        (make("ticket.closed", ts="2026-11-23"), "bad_timestamp"),  # a date, no time
        (make("ticket.closed", ts="2026-11-23T09:00Z"), "bad_timestamp"),  # RFC 3339 wants :SS
        (make("ticket.closed", ts="2026-11-23T09:00:00"), "bad_timestamp"),  # no offset
        (make("ticket.closed", ts="20261123T090000Z"), "bad_timestamp"),  # basic format
        (make("ticket.closed", ts=1763888400), "bad_timestamp"),
        (make("ticket.closed", ts=None), "missing_field"),
        (make("ticket.closed", ticket_id=""), "missing_field"),
        (make("ticket.closed", event_id=5), "wrong_type"),
        (make("ticket.explode"), "unknown_type"),
        (make("ticket.closed", type=["ticket.closed"]), "unknown_type"),
    ],
)
def test_values_past_the_edges_are_rejected_with_their_reason(
    raw: dict[str, Any], reason: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        parse(raw)
    assert rejected.value.reason == reason
    assert str(rejected.value)  # a readable detail for the dead-letter topic and the logs


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"\xff\xfe", "invalid_json"), (b"[1]", "not_an_object"), ("null", "not_an_object")],
)
def test_bytes_that_are_no_event_object(raw: Any, reason: str) -> None:
    with pytest.raises(Rejected) as rejected:
        parse(raw)
    assert rejected.value.reason == reason
