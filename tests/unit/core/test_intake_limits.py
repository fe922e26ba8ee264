"""The intake's limits, each with the events around the bad one.

Every test feeds a good event, the bad one, and a good event of the same ticket,
and checks the bad one's counted reason and that both neighbours were applied.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.support import RecordingSink, created, event, reply

POLICY = {"policies": [{"name": "p", "match": {}, "targets": {"first_response": "1h"}}]}


def run(*raws: object) -> tuple[Engine, RecordingSink, list[str | None]]:
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    reasons = [engine.ingest(raw, event_clock=True).reason for raw in raws]  # type: ignore[arg-type]
    return engine, sink, reasons


def around(bad: object) -> tuple[RecordingSink, str | None]:
    """created, bad, reply: returns the sink and the bad event's reason, neighbours checked."""
    _engine, sink, reasons = run(
        orjson.dumps(created("t", "2026-11-23 09:00")),
        bad,
        orjson.dumps(reply("t", "2026-11-23 09:10")),
    )
    assert reasons[0] is None and reasons[2] is None
    assert sink.count("events_processed", ("ticket.created",)) == 1
    assert sink.count("events_processed", ("message.agent",)) == 1
    assert sink.observed("first_response_seconds")[0][1] == 600.0
    return sink, reasons[1]


@pytest.mark.parametrize(
    "ts",
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2026-01-05T10+00:00",  # hours only: Python takes it, RFC 3339 does not
        "2026-W02-1T10:00:00+00:00",  # an ISO week date
        "2026-02-30T10:00:00Z",
    ],
)
def test_implausible_or_non_rfc3339_timestamps_are_rejected_bad_timestamp(ts: str) -> None:
    sink, reason = around(orjson.dumps({**reply("t", "2026-11-23 09:05"), "ts": ts}))
    assert reason == "bad_timestamp"
    assert sink.count("events_rejected", ("bad_timestamp",)) == 1


def test_timestamps_at_the_edges_of_the_plausible_range_are_taken() -> None:
    engine, _sink, reasons = run(
        created("a", 0.0), {**created("b", 0.0), "ts": "2099-12-31T23:59:59.999999999z"}
    )
    assert reasons == [None, None]
    assert engine.tickets["b"].created_ts == pytest.approx(4102444799.999999)


def test_a_byte_order_mark_before_the_first_event_is_ignored() -> None:
    engine, _sink, reasons = run(b"\xef\xbb\xbf" + orjson.dumps(created("t", "2026-11-23 09:00")))
    assert reasons == [None] and "t" in engine.tickets


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("team", "x" * 65),
        ("team", "bad\nteam"),
        ("team", "tab\tteam"),
        ("customer_id", "c" * 257),
    ],
)
def test_label_values_and_strings_beyond_their_limits_are_invalid_value(
    field: str, value: str
) -> None:
    bad = orjson.dumps({**created("u", "2026-11-23 09:01"), field: value})
    sink, reason = around(bad)
    assert reason == "invalid_value"
    assert sink.count("tickets_created") == 1  # only t


def test_agent_id_with_a_control_character_is_invalid_value() -> None:
    _sink, reason = around(orjson.dumps(reply("t", "2026-11-23 09:05", agent_id="a\x1b[31m")))
    assert reason == "invalid_value"


def test_an_event_larger_than_64_kib_is_too_large() -> None:
    big = orjson.dumps(
        {**reply("t", "2026-11-23 09:05"), "note": "x" * 200}
        | {f"k{i}": "y" * 200 for i in range(400)}
    )
    assert len(big) > 64 * 1024
    _sink, reason = around(big)
    assert reason == "too_large"


def test_json_nested_deeper_than_32_levels_is_too_deep_and_32_is_fine() -> None:
    def nested(objects: int) -> object:
        value: object = 1
        for _ in range(objects):
            value = {"x": value}
        return value

    # the event object is level 1, so 32 nested objects under it make 33 levels
    _, reason = around(orjson.dumps({**reply("t", "2026-11-23 09:05"), "extra": nested(32)}))
    assert reason == "too_deep"
    _engine, _sink, reasons = run(
        orjson.dumps({**reply("o", "2026-11-23 09:05"), "extra": nested(31)})
    )
    assert reasons == [None]  # held: 32 levels in all


def test_a_held_orphan_nested_hundreds_deep_never_reaches_the_state_record() -> None:
    deep = b'{"x":' * 300 + b"1" + b"}" * 300
    orphan = orjson.dumps(reply("o", "2026-11-23 09:05"))[:-1] + b',"extra":' + deep + b"}"
    engine, _sink, reasons = run(orphan, orjson.dumps(reply("o", "2026-11-23 09:06")))
    assert reasons == ["too_deep", None]
    for ticket in engine.tickets.values():  # every state record still encodes
        assert orjson.loads(orjson.dumps(ticket.to_state()))["h"]


def test_held_events_are_kept_as_their_raw_text_and_applied_after_created() -> None:
    raw = orjson.dumps(reply("o", "2026-11-23 09:05"))
    engine, sink, _reasons = run(raw)
    assert engine.tickets["o"].held == [raw.decode()]
    engine.ingest(created("o", "2026-11-23 09:00"))
    assert sink.observed("first_response_seconds") == [
        (("billing", "email", "normal", "standard"), 300.0)
    ]


def test_a_transfer_to_its_own_team_is_invalid_and_a_stale_from_team_is_the_tickets() -> None:
    engine, sink, reasons = run(
        created("t", "2026-11-23 09:00"),
        event(
            "ticket.transferred", "t", "2026-11-23 09:01", from_team="billing", to_team="billing"
        ),
        event("ticket.transferred", "t", "2026-11-23 09:02", from_team="sales", to_team="tech"),
        event("ticket.transferred", "t", "2026-11-23 09:03", from_team="billing", to_team="tech"),
    )
    # sales -> tech: the ticket is in billing, so billing hands it to tech; the last one
    # (billing -> tech) finds it in tech already: nothing to hand off, nothing counted
    assert reasons == [None, "invalid_state", None, None]
    assert sink.count("transfers") == 1 and sink.count("transfers", ("billing", "tech")) == 1
    assert engine.tickets["t"].team == "tech"


def test_event_id_idempotence_is_per_ticket() -> None:
    # documented scope (docs/limits.md): a repeat is recognised within its ticket
    _engine, sink, reasons = run(
        created("a", "2026-11-23 09:00", event_id="same"),
        created("b", "2026-11-23 09:00", event_id="same"),
        created("a", "2026-11-23 09:00", event_id="same"),
    )
    assert reasons == [None, None, None]
    assert sink.count("tickets_created") == 2 and sink.count("events_duplicate") == 1


@pytest.mark.parametrize("field", ["ticket_id", "event_id"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("t\nall SLAs met", "invalid_value"),  # a newline would forge alert text
        ("t\x00", "invalid_value"),
        ("x" * 257, "invalid_value"),
    ],
)
def test_an_id_with_control_characters_or_over_256_characters_is_invalid_value(
    field: str, value: str, reason: str
) -> None:
    bad = created("t", "2026-11-23 09:01")
    bad[field] = value
    engine, sink, reasons = run(created("u", "2026-11-23 09:00"), bad)
    assert reasons == [None, reason]
    assert sink.count("events_rejected", (reason,)) == 1
    assert set(engine.tickets) == {"u"}


def test_an_id_of_256_printable_characters_with_spaces_is_accepted() -> None:
    ok = created("t " + "x" * 254, "2026-11-23 09:00")
    _engine, _sink, reasons = run(ok)
    assert reasons == [None]


def test_a_leap_second_is_the_second_before_midnight() -> None:
    from streams.core.events import parse_ts

    assert parse_ts("2016-12-31T23:59:60Z") == parse_ts("2016-12-31T23:59:59Z")
    assert parse_ts("2016-12-31T18:59:60-05:00") == parse_ts("2016-12-31T23:59:59Z")


def test_an_event_that_fails_half_way_leaves_no_per_agent_fact() -> None:
    # the reply's handle time and first response are reported to the per-agent figures before
    # the handler fails: all or nothing, so neither the team's nor the agent's figures count
    engine = Engine(parse_policy(POLICY), sink := RecordingSink())
    engine.ingest(created("t", "2026-11-23 09:00"), event_clock=True)
    real = engine._handlers["message.agent"]

    def broken(ticket: Any, event: Any) -> str | None:
        real(ticket, event)
        raise RuntimeError("a bug")

    # the handler table, not a method of the per-agent figures: a compiled core
    # (deploy/build-core.sh) has no per-instance methods to replace
    engine._handlers["message.agent"] = broken
    bad = reply("t", "2026-11-23 09:05", work_seconds=300)
    assert engine.ingest(bad, event_clock=True).reason == "engine_error"
    assert sink.count("agent_handle_seconds") == 0
    assert sink.count("agent_first_responses") == 0
    assert sink.count("agent_work_seconds") == 0
    assert engine.tickets["t"].answered is False
