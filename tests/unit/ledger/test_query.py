"""Filters of ``servicepulse outcomes`` and ``GET /v1/outcomes``: parsing and the SELECT."""

from __future__ import annotations

import pytest

from streams.ledger.query import parse_filter, select_statement
from tests.support import at


def test_the_select_binds_every_value() -> None:
    query = parse_filter(team="billing", outcome="breached", since="2026-11-23", limit=5)
    sql, params = select_statement(query, "?")
    assert sql == (
        "SELECT ticket_id, target, cycle, team, agent, channel, priority, customer_tier, "
        "category, policy, started, deadline, stopped, outcome, late FROM ledger_outcomes "
        "WHERE team = ? AND outcome = ? AND at >= ? ORDER BY at, ticket_id, target, cycle "
        "LIMIT ?"
    )
    assert params == ["billing", "breached", at("2026-11-23 00:00"), 5]


def test_a_team_name_never_becomes_sql() -> None:
    sql, params = select_statement(parse_filter(team="x' OR '1'='1"), "%s")
    assert "'1'" not in sql and params == ["x' OR '1'='1"]


def test_empty_values_are_no_filter() -> None:
    assert parse_filter(team="", outcome="", since="") == parse_filter()


NOT_A_TIME = "is not a date (2026-11-23) or a timestamp with offset (2026-11-23T09:00:00Z)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "ticket"}, "kind 'ticket' is not one of outcome, stint, survey, review"),
        (
            {"target": "reply"},
            "target 'reply' is not one of first_response, next_reply, resolution",
        ),
        ({"outcome": "late"}, "outcome 'late' is not one of met, breached"),
        (
            {"kind": "survey", "target": "resolution"},
            "the target filter applies to kind outcome, not survey",
        ),
        (
            {"kind": "stint", "agent": "ana"},
            "the agent filter applies to kind outcome or survey or review, not stint",
        ),
        ({"since": "last week"}, f"from 'last week' {NOT_A_TIME}"),
        ({"until": "2026-11-23T09:00:00"}, f"to '2026-11-23T09:00:00' {NOT_A_TIME}"),
        ({"since": "2026-02-30"}, "from '2026-02-30' is not a valid date"),
        ({"since": "2026-11-24", "until": "2026-11-23"}, "from must be before to"),
    ],
)
def test_a_bad_filter_says_what_is_wrong_in_one_line(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_filter(**options)  # type: ignore[arg-type]
    assert str(caught.value) == message
