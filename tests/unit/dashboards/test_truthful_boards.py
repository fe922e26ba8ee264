"""Boards that tell each audience the truth.

No data is never a zero, the boards follow the loaded SLA policy and the selected team, and a
per-team panel stays readable at 5, 80 and 300 teams. Every expected value below is written
by hand from the policy or the rule it stands for, not read back from the generator.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import pytest

import dashboards
from dashboards.boards.team_sla.ledger_tables import LEDGER_UID
from streams.core.policy import PolicySet, parse_policy

SCRAPED = 'sum(up{job=~"servicepulse.*"} == 1)'
GREY = "#8e8e8e"


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """The Prometheus and Alertmanager panels (the ledger tables: test_ledger_panels.py)."""
    return [
        p
        for p in dashboards.iter_panels(board)
        if p.get("type") != "row" and (p.get("datasource") or {}).get("uid") != LEDGER_UID
    ]


def panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in panels(board) if p["title"] == title)


def steps(p: dict[str, Any]) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def bank(**extra: Any) -> PolicySet:
    """A bank's call centre: one policy, answered within 20 s around the clock, nothing else."""
    doc = {
        "policies": [
            {
                "name": "calls",
                "match": {},
                "calendar": "always",
                "targets": {"first_response": "20s"},
            }
        ],
        **extra,
    }
    return parse_policy(doc)


BUILT_IN = dashboards.build_all()
BANK = dashboards.build_all(bank())

# -- no data is never zero ---------------------------------------------------------------


def test_no_query_of_any_board_fills_in_an_unconditional_zero() -> None:
    for name, board in BUILT_IN.items():
        for p in panels(board):
            for t in p.get("targets", []):
                assert "vector(0)" not in t["expr"], (name, p["title"], t["expr"])


def test_every_zero_fill_is_gated_on_a_servicepulse_target_being_up() -> None:
    """`x or on() (0 * ...)` may only give 0 while a ServicePulse target is scraped."""
    for name, board in BUILT_IN.items():
        for p in panels(board):
            for t in p.get("targets", []):
                for fill in re.findall(r"or on\(\) \(0 \* ([^)]*\))\)", t["expr"]):
                    assert fill == 'sum(up{job=~"servicepulse.*"} == 1)', (name, p["title"])


def test_the_live_boards_top_row_opens_with_the_scrape_health() -> None:
    board = BUILT_IN["live-operations.json"]
    top = board["panels"]
    assert top[0]["type"] == "row" and top[0]["title"] == "Right now"
    health = top[1]
    assert health["title"] == "Scrape health"
    assert health["gridPos"]["y"] == top[2]["gridPos"]["y"] == 1  # same row as the backlog
    assert [t["expr"] for t in health["targets"]] == [
        'sum(up{job=~"servicepulse.*"})',
        'count(up{job=~"servicepulse.*"} == 0)',
    ]
    zero = health["fieldConfig"]["defaults"]["mappings"][0]
    assert zero == {"type": "value", "options": {"0": {"text": "target down", "color": "red"}}}


def test_every_figure_of_the_live_top_row_needs_a_target_up() -> None:
    board = BUILT_IN["live-operations.json"]
    row = [p for p in board["panels"] if p.get("gridPos", {}).get("y") == 1]
    titles = [p["title"] for p in row]
    assert titles == [
        "Scrape health",
        "Open backlog",
        "Unanswered",
        "Clocks at risk",
        "Breached, open",
        "Oldest ticket",
        "Abandoned, 1 h",
    ]
    assert sum(p["gridPos"]["w"] for p in row) == 24
    for p in row[1:]:
        (target,) = p["targets"]
        assert target["expr"].endswith(f") and on() {SCRAPED}"), p["title"]
        assert p["fieldConfig"]["defaults"]["noValue"] == "no data", p["title"]


def test_a_stat_without_a_value_reads_its_no_value_text_in_grey() -> None:
    p = panel(BUILT_IN["live-operations.json"], "Open backlog")
    unknown = p["fieldConfig"]["defaults"]["mappings"][-1]
    assert unknown == {
        "type": "special",
        "options": {"match": "null+nan", "result": {"text": "no data", "color": GREY}},
    }


def test_an_empty_priority_and_tier_pair_is_left_out_rather_than_nan() -> None:
    p = panel(BUILT_IN["team-lead-sla.json"], "Attainment by priority and tier (24 h)")
    expr = p["targets"][0]["expr"]
    assert expr.endswith("[1d])) > 0)")  # a 0 denominator drops the pair: no 0/0 = NaN


def test_team_lead_lines_do_not_bridge_a_closed_night() -> None:
    for p in panels(BUILT_IN["team-lead-sla.json"]):
        if p["type"] == "timeseries":
            assert p["fieldConfig"]["defaults"]["custom"]["spanNulls"] == 15 * 60 * 1000


def test_agent_counts_are_whole_numbers() -> None:
    p = panel(BUILT_IN["team-lead-sla.json"], "Agents, last 7 days")
    decimals = {
        o["matcher"]["options"]: prop["value"]
        for o in p["fieldConfig"]["overrides"]
        for prop in o["properties"]
        if prop["id"] == "decimals"
    }
    assert decimals == {"First responses": 0, "Resolutions": 0, "CSAT answers": 0}
    assert p["options"]["sortBy"] == [{"displayName": "First responses", "desc": True}]


# -- boards from the loaded policy ----------------------------------------------------------


def test_a_bank_policy_of_20_seconds_draws_a_20_second_line() -> None:
    live = panel(BANK["live-operations.json"], "First response time p50 / p90 (last hour)")
    # at risk after 80 % of 20 s = 16 s, breached from 20 s
    assert steps(live) == [(None, "green"), (16, "orange"), (20, "red")]
    assert live["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "dashed"
    tile = panel(BANK["executive-weekly.json"], "First response, median")
    assert steps(tile) == [(None, "green"), (16, "orange"), (20, "red")]
    oldest = panel(BANK["live-operations.json"], "Oldest unanswered")
    assert steps(oldest) == [(None, "green"), (16, "orange"), (20, "red")]


def test_the_policy_panel_shows_the_loaded_policy() -> None:
    text = panel(BANK["team-lead-sla.json"], "SLA policy")["options"]["content"]
    assert "| calls | every other ticket | always | 20s | not measured | not measured |" in text
    assert "4h" not in text and "3d" not in text  # nothing of the built-in set


def test_a_target_the_policy_does_not_measure_is_grey_not_measured() -> None:
    for target in ("Next reply", "Resolution"):
        p = panel(BANK["team-lead-sla.json"], f"{target} SLA attainment")
        assert p["fieldConfig"]["defaults"]["noValue"] == "not measured"
        assert steps(p) == [(None, GREY)]
    resolution = panel(BANK["live-operations.json"], "Resolution time p50 / p90 (last hour)")
    assert steps(resolution) == [(None, GREY)]  # no dashed line for a target that is not set
    measured = panel(BANK["team-lead-sla.json"], "First response SLA attainment")
    assert measured["fieldConfig"]["defaults"]["noValue"] == "no clock yet"
    assert steps(measured) == [(None, "red"), (0.90, "orange"), (0.95, "green")]


def test_attainment_is_coloured_against_the_policys_own_objective() -> None:
    boards = dashboards.build_all(bank(objectives={"first_response": "80%"}))
    p = panel(boards["team-lead-sla.json"], "First response SLA attainment")
    # objective 80 %; red 5 points below it (the config's 95 % -> 90 % margin): 75 %
    assert steps(p) == [(None, "red"), (0.75, "orange"), (0.80, "green")]


def test_push_with_a_policy_pushes_boards_built_from_it(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Any) -> None:  # fmt: skip
    from dashboards import command, push

    policy = tmp_path / "bank.yml"
    policy.write_text(
        "policies:\n  - name: calls\n    match: {}\n    calendar: always\n"
        "    targets: {first_response: 20s}\n"
    )
    pushed: dict[str, Any] = {}

    def fake_push(self: Any, sources: Any, boards: dict[str, Any]) -> None:
        pushed.update(boards)

    monkeypatch.setattr(push.Pusher, "push", fake_push)
    args = argparse.Namespace(
        token="glsa_x", user=None, password=None, dir=None, policy=str(policy),
        url="http://127.0.0.1:1", timeout=1.0, prometheus_url="http://p", alertmanager_url="http://a",
    )  # fmt: skip
    assert command.push_command(args) == 0
    live = panel(pushed["live-operations.json"], "First response time p50 / p90 (last hour)")
    assert steps(live) == [(None, "green"), (16, "orange"), (20, "red")]


# -- alerts follow the selected team --------------------------------------------------------


def test_the_alert_panels_follow_the_selected_team() -> None:
    board = BUILT_IN["team-lead-sla.json"]
    assert not [p for p in panels(board) if p["type"] == "alertGroups"]
    assert not [p for p in panels(board) if p["title"].startswith(("billing", "technical"))]
    text = panel(board, "Ticket alerts of the selected team")["options"]["content"]
    assert "queryString=team%3D$team" in text
    assert "alertmanager=ServicePulse%20Alertmanager" in text
    for p in panels(board):
        for t in p.get("targets", []):
            if "ALERTS" in t["expr"]:
                assert 'team="$team"' in t["expr"], p["title"]


# -- many teams ------------------------------------------------------------------------------

PER_TEAM_LIVE = {
    "Open backlog by team": "topk(10, ",
    "Unanswered contacts by team": "topk(10, ",
    "At risk now, by team and target": "sort_desc(topk(10, ",
    "Breached now, by team and target": "sort_desc(topk(10, ",
    "First response time p50 / p90 (last hour)": "topk(10, ",
    "Resolution time p50 / p90 (last hour)": "topk(10, ",
    "Time to the next breach, per team": "sort(bottomk(10, ",
}


@pytest.mark.parametrize("teams", [5, 80, 300])
def test_per_team_panels_show_at_most_ten_teams_whatever_their_number(teams: int) -> None:
    names = [f"team-{i:03d}" for i in range(teams)]
    policies = parse_policy(
        {
            "teams": names,
            "policies": [{"name": "default", "match": {}, "targets": {"first_response": "4h"}}],
        }
    )
    boards = dashboards.build_all(policies)
    board = boards["live-operations.json"]
    for title, shape in PER_TEAM_LIVE.items():
        for t in panel(board, title)["targets"]:
            assert shape in t["expr"] or "unless on (team) topk(10, " in t["expr"], title
    # the board does not grow with the teams: the same panels at 5, 80 and 300 teams
    for name, built in boards.items():
        assert len(panels(built)) == len(panels(BUILT_IN[name])), name
    # the rest of the teams is one line, not hidden
    others = panel(board, "Open backlog by team")["targets"][1]
    assert others["expr"].startswith("label_replace(sum(") and '"all others"' in others["expr"]


def test_bars_leave_out_zero_pairs_and_put_the_largest_first() -> None:
    p = panel(BUILT_IN["live-operations.json"], "At risk now, by team and target")
    assert p["targets"][0]["expr"].startswith("sort_desc(topk(10, sum by (team, target) (")
    assert p["targets"][0]["expr"].endswith(") > 0))")


def test_the_executive_team_table_is_sorted_by_contacts_largest_first() -> None:
    p = panel(BUILT_IN["executive-weekly.json"], "Teams, this week and the week before")
    assert p["options"]["sortBy"] == [{"displayName": "Contacts", "desc": True}]
    assert p["gridPos"]["h"] == 12


def test_no_header_of_the_team_table_is_cut() -> None:
    p = panel(BUILT_IN["executive-weekly.json"], "Teams, this week and the week before")
    widths = {
        o["matcher"]["options"]: prop["value"]
        for o in p["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
        for prop in o["properties"]
        if prop["id"] == "custom.minWidth"
    }
    # 8 px a character + 24 px of padding and sort arrow, at least the table's 70 px
    assert widths["Contacts before"] == 15 * 8 + 24 == 144
    assert widths["First response change"] == 21 * 8 + 24 == 192
    assert widths["SLA"] == 70


def test_the_oldest_ticket_turns_orange_only_at_a_resolution_target_the_policy_sets() -> None:
    # the bank sets no resolution target: green, then red from the 7-day alert (604800 s)
    for name in ("live-operations.json", "team-lead-sla.json"):
        assert steps(panel(BANK[name], "Oldest ticket")) == [(None, "green"), (604800, "red")]
    # the built-in catch-all resolves in 3 d = 259200 s
    built_in = panel(BUILT_IN["team-lead-sla.json"], "Oldest ticket")
    assert steps(built_in) == [(None, "green"), (259200, "orange"), (604800, "red")]


def test_the_executive_tiles_judge_attainment_against_the_policys_objectives() -> None:
    policy = parse_policy(
        {
            "policies": [
                {
                    "name": "all",
                    "match": {},
                    "calendar": "always",
                    "targets": {"first_response": "1h", "resolution": "1d"},
                }
            ],
            "objectives": {"first_response": "80%", "resolution": "99%"},
        }
    )
    board = dashboards.build_all(policy)["executive-weekly.json"]
    # every target together: held to the strictest objective, 99 %; red 5 points below, 94 %
    strictest = [(None, "red"), (0.94, "orange"), (0.99, "green")]
    assert steps(panel(board, "SLA attainment")) == strictest
    assert steps(panel(board, "SLA attainment per week")) == strictest
    # per target, each bar of this week against its own objective
    bars = panel(board, "SLA attainment by target")
    own = {
        o["matcher"]["options"]: [
            (s["value"], s["color"]) for s in o["properties"][0]["value"]["steps"]
        ]
        for o in bars["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
    }
    assert own == {
        "first_response · this week": [(None, "red"), (0.75, "orange"), (0.80, "green")],
        "resolution · this week": strictest,
    }
    # complaints resolved in time: the resolution objective
    assert steps(panel(board, "Complaints resolved in time")) == strictest
    # without objectives in the policy: the boards' 95 % / 90 %
    built_in = steps(panel(BUILT_IN["executive-weekly.json"], "SLA attainment"))
    assert built_in == [(None, "red"), (0.90, "orange"), (0.95, "green")]


def test_every_live_pace_says_it_is_per_wall_clock_hour_and_what_the_demo_speed_does() -> None:
    """The demo at 60x showed "Arrivals 3,494/h" with no word: 60 times its simulated pace."""
    live = BUILT_IN["live-operations.json"]
    paced = [
        p
        for p in panels(live)
        if p["fieldConfig"]["defaults"].get("unit") == "suffix: /h"
        or p["title"] in ("Contacts forecast, next hour", "Contacts this hour against the usual")
    ]
    assert {p["title"] for p in paced} >= {"Arrivals vs resolutions", "Net drain per hour"}
    for p in paced:
        assert "wall-clock" in p["description"] and "--speed N" in p["description"], p["title"]
    assert "--speed N" in live["description"]


def test_an_empty_bar_list_reads_its_no_value_words_in_grey_not_a_dash() -> None:
    # Grafana shows an empty bar gauge through its null mapping (seen on the bank month:
    # an empty bar and "—" where no clock was at risk), so the mapping carries the words
    p = panel(BUILT_IN["live-operations.json"], "At risk now, by team and target")
    (mapping,) = p["fieldConfig"]["defaults"]["mappings"]
    assert mapping["options"]["match"] == "null+nan"
    assert mapping["options"]["result"] == {
        "text": "none now — or no data (see Scrape health)",
        "color": "#8e8e8e",
    }


def test_a_lone_bar_keeps_its_name_from_the_legend() -> None:
    # Grafana drops the name of a single bar unless the field has a display name (the bank's
    # one customer tier read "658" beside a nameless bar)
    tiers = panel(BUILT_IN["team-lead-sla.json"], "Breaches by customer tier (24 h)")
    assert tiers["fieldConfig"]["defaults"]["displayName"] == "${__field.labels.customer_tier}"
    pairs = panel(BUILT_IN["live-operations.json"], "Breached now, by team and target")
    assert (
        pairs["fieldConfig"]["defaults"]["displayName"]
        == "${__field.labels.team} · ${__field.labels.target}"
    )
    # two queries (this week, the week before) have two legends: no shared display name
    by_target = panel(BUILT_IN["executive-weekly.json"], "SLA attainment by target")
    assert "displayName" not in by_target["fieldConfig"]["defaults"]


def test_the_team_column_has_room_for_a_name_of_twelve_characters() -> None:
    # the ServiceNow week cut "unassigned" to "unassi…" in a 70 px column
    p = panel(BUILT_IN["executive-weekly.json"], "Teams, this week and the week before")
    widths = {
        o["matcher"]["options"]: prop["value"]
        for o in p["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
        for prop in o["properties"]
        if prop["id"] == "custom.minWidth"
    }
    assert widths["Team"] == 12 * 8 + 24 == 120


def test_an_empty_table_cell_is_a_grey_dash_not_the_columns_red() -> None:
    # a colour-text cell with no value took the lowest threshold's colour: "–" in red under
    # CSAT for every ServiceNow team (no surveys at all)
    p = panel(BUILT_IN["executive-weekly.json"], "Teams, this week and the week before")
    mappings = {
        o["matcher"]["options"]: prop["value"]
        for o in p["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
        for prop in o["properties"]
        if prop["id"] == "mappings"
    }
    grey_dash = {"match": "null+nan", "result": {"text": "–", "color": "#8e8e8e"}}
    assert mappings["CSAT"] == [{"type": "special", "options": grey_dash}]
    # not on the team names: Grafana's NaN test matches every string (the names read "–")
    assert "Team" not in mappings
    assert "mappings" not in p["fieldConfig"]["defaults"]
