"""The policy file's ``staffing``: planned agents per team and hour, shown only for a team
that sends no ``agent.status`` events (streams/core/staffing.py, docs/policies.md)."""

from __future__ import annotations

import pytest

from streams.core.engine import Engine
from streams.core.policy import PolicyError, PolicySet, load_yaml, parse_policy
from streams.core.staffing import Staffing, with_planned
from streams.export.exporter import Exporter
from tests.support import RecordingSink, at, iso

CONTRACT_EXAMPLE = """\
policies: [{name: default}]
staffing:
  billing: {mon-fri 09:00-18:00: 6, sat 10:00-14:00: 2}
"""

BERLIN = """\
calendars:
  eu-office:
    timezone: Europe/Berlin
    hours: ["09:00", "18:00"]
    holidays: ["2026-12-25"]
policies:
  - {name: urgent, match: {priority: urgent}, calendar: always}
  - {name: default, calendar: eu-office}
staffing:
  billing: {mon-fri 09:00-18:00: 6}
"""


def policies(text: str = CONTRACT_EXAMPLE) -> PolicySet:
    return parse_policy(load_yaml(text))


def plan(text: str = CONTRACT_EXAMPLE) -> Staffing:
    staffing = policies(text).staffing
    assert staffing is not None
    return staffing


def status(agent: str, team: str, value: str, when: str) -> dict:
    return {
        "event_id": f"{agent}:{when}",
        "type": "agent.status",
        "agent_id": agent,
        "team": team,
        "status": value,
        "ts": iso(at(when)),
    }


# ---- the plan -----------------------------------------------------------------------------


def test_the_contract_example_plans_six_agents_on_a_monday_at_ten() -> None:
    # 2026-11-23 is a Monday; 10:00 UTC is inside mon-fri 09:00-18:00
    assert plan().planned("billing", at("2026-11-23 10:00")) == 6


def test_the_contract_example_plans_two_on_saturday_morning_and_none_at_three() -> None:
    staffing = plan()
    assert staffing.planned("billing", at("2026-11-28 10:00")) == 2  # Saturday, window start
    assert staffing.planned("billing", at("2026-11-28 13:59")) == 2
    assert staffing.planned("billing", at("2026-11-28 14:00")) == 0  # the end is exclusive
    assert staffing.planned("billing", at("2026-11-28 15:00")) == 0
    assert staffing.planned("billing", at("2026-11-29 10:00")) == 0  # Sunday: no window


def test_a_window_ends_at_its_end_minute_and_a_team_without_a_plan_plans_none() -> None:
    staffing = plan()
    assert staffing.planned("billing", at("2026-11-23 17:59")) == 6
    assert staffing.planned("billing", at("2026-11-23 18:00")) == 0
    assert staffing.planned("billing", at("2026-11-23 08:59")) == 0
    assert staffing.planned("technical", at("2026-11-23 10:00")) == 0


def test_hours_are_local_to_the_teams_calendar_and_its_holidays_plan_no_one() -> None:
    staffing = plan(BERLIN)
    # the catch-all policy's calendar is Europe/Berlin: CET = UTC+1 in November
    assert staffing.planned("billing", at("2026-11-23 08:30")) == 6  # 09:30 in Berlin
    assert staffing.planned("billing", at("2026-11-23 17:30")) == 0  # 18:30 in Berlin
    assert staffing.planned("billing", at("2026-07-06 07:30")) == 6  # CEST = UTC+2: 09:30
    assert staffing.planned("billing", at("2026-12-25 10:00")) == 0  # a Friday, a holiday


def test_a_policy_matching_on_the_team_alone_gives_its_calendar_before_the_catch_all() -> None:
    text = BERLIN.replace(
        "  - {name: default, calendar: eu-office}",
        "  - {name: billing, match: {team: billing}, calendar: always}\n"
        "  - {name: default, calendar: eu-office}",
    )
    staffing = plan(text)
    assert staffing.planned("billing", at("2026-11-23 08:30")) == 0  # UTC 08:30: not open yet
    assert staffing.planned("billing", at("2026-12-25 10:00")) == 6  # always has no holidays


def test_day_lists_and_ranges_and_a_window_to_midnight_are_read() -> None:
    text = "policies: [{name: d}]\nstaffing:\n  night: {'mon,wed,sat-sun 20:00-24:00': 3}\n"
    staffing = plan(text)
    assert staffing.planned("night", at("2026-11-23 23:59")) == 3  # Monday
    assert staffing.planned("night", at("2026-11-24 23:00")) == 0  # Tuesday
    assert staffing.planned("night", at("2026-11-29 20:00")) == 3  # Sunday


@pytest.mark.parametrize(
    ("staffing", "message"),
    [
        ("[billing]", "staffing must be a mapping like {billing: {mon-fri 09:00-18:00: 6}}"),
        ("{billing: 6}", "staffing: billing: must be a mapping like {mon-fri 09:00-18:00: 6}"),
        (
            "{billing: {weekdays 09:00-18:00: 6}}",
            "staffing: billing: window 'weekdays 09:00-18:00' must be days and hours like "
            "'mon-fri 09:00-18:00' (days mon..sun, a range or a comma list)",
        ),
        (
            "{billing: {fri-mon 09:00-18:00: 6}}",
            "staffing: billing: window 'fri-mon 09:00-18:00': a day range runs mon to sun, "
            "not back",
        ),
        (
            "{billing: {mon 22:00-06:00: 2}}",
            "staffing: billing: window 'mon 22:00-06:00': hours run from 00:00 to 24:00 and "
            "end after they start (across midnight: write two windows)",
        ),
        (
            "{billing: {mon 09:00-18:00: 2.5}}",
            "staffing: billing: window 'mon 09:00-18:00': agents must be a whole number, like 6",
        ),
        (
            "{billing: {mon 09:00-18:00: -1}}",
            "staffing: billing: window 'mon 09:00-18:00': agents must be a whole number, like 6",
        ),
        (
            "{billing: {mon-fri 09:00-18:00: 6, fri 17:00-20:00: 2}}",
            "staffing: billing: windows 'mon,tue,wed,thu,fri 09:00-18:00' and "
            "'fri 17:00-20:00' overlap on fri",
        ),
    ],
)
def test_a_bad_staffing_shape_is_one_line_saying_where(staffing: str, message: str) -> None:
    with pytest.raises(PolicyError) as error:
        policies(f"policies: [{{name: d}}]\nstaffing: {staffing}\n")
    assert str(error.value) == message


def test_with_a_teams_list_a_staffed_team_must_be_listed() -> None:
    with pytest.raises(PolicyError) as error:
        policies(
            "teams: [billing]\npolicies: [{name: d}]\nstaffing: {sales: {mon 09:00-18:00: 6}}\n"
        )
    assert (
        str(error.value)
        == "staffing: sales: not one of the policy's teams (its series are 'other')"
    )


# ---- the gauge ----------------------------------------------------------------------------


def test_the_plan_adds_a_planned_series_only_for_teams_without_agent_status() -> None:
    staffing = plan(
        "policies: [{name: d}]\nstaffing:\n"
        "  billing: {mon-fri 09:00-18:00: 6}\n  technical: {mon-fri 09:00-18:00: 4}\n"
    )
    counts = {("technical", "available"): 3, ("technical", "offline"): 1}
    assert with_planned(counts, staffing, at("2026-11-23 10:00")) == {
        ("billing", "planned"): 6,  # no agent.status of billing: the plan
        ("billing", "planned_next_hour"): 6,  # 11:00: still inside 09:00-18:00
        ("technical", "available"): 3,  # technical reports its agents: no plan shown now ...
        ("technical", "offline"): 1,
        ("technical", "planned_next_hour"): 4,  # ... but the coming hour's, for the forecast
    }


def test_outside_its_shifts_a_planned_team_reads_zero_not_nothing() -> None:
    planned = with_planned({}, plan(), at("2026-11-28 15:00"))  # Saturday 15:00
    assert dict(planned) == {("billing", "planned"): 0, ("billing", "planned_next_hour"): 0}


@pytest.mark.parametrize(
    ("now", "coming"),
    [
        ("2026-11-23 08:00", 6),  # Monday: the 09:00 shift counts from 08:00 on ...
        ("2026-11-23 08:59:59", 6),  # ... to the hour's last second
        ("2026-11-23 07:59:59", 0),  # 08:00-09:00 is not staffed
        ("2026-11-23 17:00", 0),  # the shift ends at 18:00: nobody for 18:00-19:00
        ("2026-11-28 09:30", 2),  # Saturday: the 10:00-14:00 window of 2
    ],
)
def test_the_coming_hour_is_the_plan_at_the_next_clock_hour(now: str, coming: int) -> None:
    assert plan().planned_next_hour("billing", at(now)) == coming


def test_the_coming_hour_is_the_next_hour_of_the_teams_own_clock() -> None:
    # Berlin is UTC+1 in November: 07:30 UTC is 08:30 there, the coming hour 09:00 Berlin
    assert plan(BERLIN).planned_next_hour("billing", at("2026-11-23 07:30")) == 6
    assert plan(BERLIN).planned_next_hour("billing", at("2026-11-23 06:30")) == 0


def test_the_engine_exposes_the_plan_until_the_team_sends_its_first_agent_status() -> None:
    exporter = Exporter()
    engine = Engine(policies(), exporter)
    exporter.watch(engine, now=lambda: at("2026-11-23 10:00"))
    text = exporter.exposition().decode()
    assert 'servicepulse_agents{status="planned",team="billing"} 6.0' in text
    engine.ingest(status("a1", "billing", "offline", "2026-11-23 09:00"))
    text = exporter.exposition().decode()
    # the exporter keeps a series it showed at 0 until it forgets it: the plan no longer counts
    assert 'servicepulse_agents{status="planned",team="billing"} 0.0' in text
    assert 'servicepulse_agents{status="offline",team="billing"} 1.0' in text
    assert dict(engine.gauges(at("2026-11-23 10:00")).agents) == {
        ("billing", "offline"): 1,
        ("billing", "planned_next_hour"): 6,
    }


def test_a_policy_without_staffing_shows_no_planned_agents() -> None:
    engine = Engine(policies("policies: [{name: d}]\n"), RecordingSink())
    assert dict(engine.gauges(at("2026-11-23 10:00")).agents) == {}


def test_a_worker_shows_the_plan_of_a_team_none_of_its_partitions_has_agent_status() -> None:
    import argparse

    from streams.kafka.settings import WORKER_OPTIONS, resolve
    from streams.worker.state import State

    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), policies())
    gauges, _ = state.backlog(at("2026-11-23 10:00"))
    assert dict(gauges.agents) == {("billing", "planned"): 6, ("billing", "planned_next_hour"): 6}
