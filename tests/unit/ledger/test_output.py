"""Rows as ``servicepulse outcomes`` and ``GET /v1/outcomes`` print them: exact text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streams.ledger.output import check_ticket_url, render
from streams.ledger.schema import OUTCOMES, STINTS, SURVEYS, Table
from tests.unit.ledger.rows import STINT_HELD, SURVEY, T2, T3


def text(table: Table, rows: list[Any], fmt: str, template: str | None = None) -> str:
    return "".join(render(table, [tuple(row) for row in rows], fmt, template))


def test_outcomes_as_csv() -> None:
    assert text(OUTCOMES, [T2, T3], "csv") == (
        "ticket_id,target,cycle,team,agent,channel,priority,customer_tier,category,policy,"
        "started,deadline,stopped,outcome,late\n"
        "t2,first_response,0,billing,bo,email,normal,standard,inquiry,default,"
        "2026-11-23T09:00:00Z,2026-11-23T09:15:00Z,2026-11-23T09:20:00Z,breached,300\n"
        "t3,first_response,0,technical,,email,normal,standard,inquiry,default,"
        "2026-11-23T10:00:00Z,2026-11-23T10:15:00Z,,breached,0\n"
    )


def test_outcomes_as_json_one_object_a_line() -> None:
    got = text(OUTCOMES, [T3], "json")
    assert got == (
        '[\n{"ticket_id": "t3", "target": "first_response", "cycle": 0, "team": "technical", '
        '"agent": "", "channel": "email", "priority": "normal", "customer_tier": "standard", '
        '"category": "inquiry", "policy": "default", "started": "2026-11-23T10:00:00Z", '
        '"deadline": "2026-11-23T10:15:00Z", "stopped": null, "outcome": "breached", '
        '"late": 0}\n]\n'
    )
    assert json.loads(got)[0]["stopped"] is None


def test_no_rows_is_a_header_or_an_empty_array() -> None:
    assert text(SURVEYS, [], "csv") == "event_id,ticket_id,ts,team,agent,channel,kind,score\n"
    assert json.loads(text(SURVEYS, [], "json")) == []


def test_stints_and_surveys_show_their_own_fields() -> None:
    assert text(STINTS, [STINT_HELD], "csv").splitlines() == [
        "ticket_id,seq,team,started,ended,ended_by,seconds,ola,outcome,policy",
        "t2,1,technical,2026-11-23T09:30:00Z,,,7200,3600,breached,default",
    ]
    assert text(SURVEYS, [SURVEY], "csv").splitlines()[1] == (
        "s1,t1,2026-11-23T11:00:00Z,billing,ana,email,csat,2"
    )


def test_a_fraction_of_a_second_is_kept_in_milliseconds() -> None:
    row = T2._replace(stopped=T2.stopped + 0.25, late=300.25)  # type: ignore[operator]
    assert json.loads(text(OUTCOMES, [row], "json"))[0]["stopped"] == "2026-11-23T09:20:00.250Z"
    assert json.loads(text(OUTCOMES, [row], "json"))[0]["late"] == 300.25


def test_the_ticket_url_quotes_the_id_and_comes_last() -> None:
    row = T2._replace(ticket_id="a b/c?d")
    template = "https://helpdesk.example.com/tickets/{ticket_id}"
    lines = text(OUTCOMES, [row], "csv", template).splitlines()
    assert lines[0].endswith(",late,url")
    assert lines[1].endswith(",300,https://helpdesk.example.com/tickets/a%20b%2Fc%3Fd")
    assert json.loads(text(OUTCOMES, [row], "json", template))[0]["url"] == (
        "https://helpdesk.example.com/tickets/a%20b%2Fc%3Fd"
    )


def test_a_ticket_url_without_the_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must contain \{ticket_id\}"):
        check_ticket_url("https://helpdesk.example.com/tickets/")


def test_a_comma_or_quote_in_a_value_is_quoted_in_csv() -> None:
    row = T2._replace(team='sales, "EU"')
    assert ',"sales, ""EU""",' in text(OUTCOMES, [row], "csv").splitlines()[1]
