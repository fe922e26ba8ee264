"""The demo's warm start: a busy weekday hour in the business calendar's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.commands.demo import parse_start
from streams.core.policy import load_policies, parse_policy
from streams.errors import UserError
from streams.simulator.warm_start import busy_start


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def berlin_policies(days: str = "[mon, tue, wed, thu, fri]") -> object:
    return parse_policy(
        {
            "calendars": {
                "office": {
                    "timezone": "Europe/Berlin",
                    "days": days.strip("[]").split(", "),
                    "hours": ["09:00", "18:00"],
                }
            },
            "policies": [
                {"name": "urgent", "match": {"priority": "urgent"}, "calendar": "always",
                 "targets": {"first_response": "1h"}},
                {"name": "default", "match": {}, "calendar": "office",
                 "targets": {"first_response": "4h"}},
            ],
        }
    )  # fmt: skip


def test_early_on_a_tuesday_the_demo_starts_on_monday_afternoon() -> None:
    assert busy_start(load_policies(None), utc("2026-11-24T04:18:00")) == utc("2026-11-23T14:00:00")


def test_after_the_busy_hour_the_demo_starts_on_the_same_day() -> None:
    assert busy_start(load_policies(None), utc("2026-11-24T15:30:00")) == utc("2026-11-24T14:00:00")


def test_on_a_sunday_the_demo_starts_on_friday() -> None:
    assert busy_start(load_policies(None), utc("2026-11-22T20:00:00")) == utc("2026-11-20T14:00:00")


def test_the_busy_hour_is_in_the_business_calendars_time_zone() -> None:
    # 14:00 in Berlin in November (CET, UTC+1) is 13:00 UTC
    policies = berlin_policies()
    assert busy_start(policies, utc("2026-11-24T18:00:00")) == utc("2026-11-24T13:00:00")  # type: ignore[arg-type]


def test_the_busy_hour_falls_on_an_open_day_of_the_calendar() -> None:
    policies = berlin_policies("[sat, sun]")
    # Tuesday 2026-11-24: the latest open day is Sunday the 22nd
    assert busy_start(policies, utc("2026-11-24T18:00:00")) == utc("2026-11-22T13:00:00")  # type: ignore[arg-type]


def test_a_start_without_offset_is_utc_and_with_offset_is_honoured() -> None:
    assert parse_start("2026-11-17T14:00:00") == utc("2026-11-17T14:00:00")
    assert parse_start("2026-11-17T14:00:00+01:00") == utc("2026-11-17T13:00:00")
    assert parse_start("2026-11-17T14:00:00Z") == utc("2026-11-17T14:00:00")


def test_a_start_that_is_no_instant_is_a_user_error() -> None:
    with pytest.raises(UserError, match="--start"):
        parse_start("next tuesday")
