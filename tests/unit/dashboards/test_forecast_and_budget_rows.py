"""The live board's "Next hour" and "Volume and backlog" rows and the
team lead's "Error budget" row.

The expected PromQL is written out by hand from docs/forecast.md ("Board rows") and the rule
names of deploy/prometheus/rules/alerts.yml; every rule a panel reads must be recorded there,
and no panel fills a missing value with a zero.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

import dashboards
from dashboards.boards.team_sla.ledger_tables import LEDGER_UID
from streams.core.policy import parse_policy

ROOT = Path(__file__).resolve().parents[3]
ALERTS = ROOT / "deploy" / "prometheus" / "rules" / "alerts.yml"
UP = 'sum(up{job=~"servicepulse.*"} == 1)'
GREY = "#8e8e8e"
LIVE_T = 'team=~"$team"'
TEAM = 'team="$team"'

BOARDS = dashboards.build_all()
LIVE = BOARDS["live-operations.json"]
LEAD = BOARDS["team-lead-sla.json"]

RANK = (
    'topk(10, max by (team) (max_over_time(team:servicepulse_backlog:sum{team=~"$team"}'
    "[$__range] @ end())))"
)

# title -> the exact PromQL of each query, in refId order
NEXT_HOUR = {
    "Forecast service level, next hour": [
        f"(min(team:servicepulse_forecast_service_level:ratio{{{LIVE_T}}})) and on() {UP}"
    ],
    "Agents to add": [
        f"(sum(team:servicepulse_forecast_agents_short:count{{{LIVE_T}}})) and on() {UP}"
    ],
    "Forecast ASA, next hour": [
        f"(max(team:servicepulse_forecast_asa_seconds:mean{{{LIVE_T}}})) and on() {UP}"
    ],
    "Contacts forecast, next hour": [
        f"(sum(team:servicepulse_forecast_arrivals:rate1h{{{LIVE_T}}}) * 3600) and on() {UP}"
    ],
    "On duty and needed, next hour": [
        f"(sum by (team) (team:servicepulse_forecast_agents:count{{{LIVE_T}}})) and on() {UP}",
        f"(sum by (team) (team:servicepulse_forecast_agents_needed:count{{{LIVE_T}}}))"
        f" and on() {UP}",
        f"(sum by (team) (team:servicepulse_forecast_agents_short:count{{{LIVE_T}}}))"
        f" and on() {UP}",
    ],
}
VOLUME_AND_BACKLOG = {
    "Contacts this hour against the usual": [
        f"sum(team:servicepulse_contacts:increase1h{{{LIVE_T}}})",
        f"sum(team:servicepulse_contacts_baseline:increase1h{{{LIVE_T}}})",
    ],
    "Backlog clears at": [
        f"(sum by (team) (team:servicepulse_backlog:sum{{{LIVE_T}}})) and on() {UP}",
        f"((time() + team:servicepulse_backlog_clears_in_seconds:rate1h{{{LIVE_T}}}) * 1000)"
        f" and on() {UP}",
    ],
    "Net drain per hour": [
        f"team:servicepulse_backlog_drain:rate1h{{{LIVE_T}}} * 3600 and on (team) {RANK}",
        f"label_replace(sum(team:servicepulse_backlog_drain:rate1h{{{LIVE_T}}} * 3600"
        f' unless on (team) {RANK}), "team", "all others", "", "")',
    ],
}
BUDGET = f"team_target:servicepulse_slo_error_budget_remaining:ratio_rate28d{{{TEAM}}}"
BURN_6H = (
    f"team_target:servicepulse_slo_breached:ratio_rate6h{{{TEAM}}}"
    f" / on (team, target) (1 - team_target:servicepulse_slo_objective:ratio{{{TEAM}}})"
)
ERROR_BUDGET = {
    "Error budget left": [
        f"team_target:servicepulse_slo_error_budget_remaining:ratio_rate28d{{{TEAM}}}"
    ],
    "Burn rate, 1 h": [
        f"team_target:servicepulse_slo_breached:ratio_rate1h{{{TEAM}}}"
        f" / on (team, target) (1 - team_target:servicepulse_slo_objective:ratio{{{TEAM}}})"
    ],
    "Burn rate, 6 h": [
        f"team_target:servicepulse_slo_breached:ratio_rate6h{{{TEAM}}}"
        f" / on (team, target) (1 - team_target:servicepulse_slo_objective:ratio{{{TEAM}}})"
    ],
    "Days to exhaustion at this pace": [
        f"{BUDGET} * 2.4192e+06 / on (team, target) ({BURN_6H} > 0) and {BUDGET} > 0",
        f"{BUDGET} > 0 unless on (team, target) ({BURN_6H} > 0)",
        f"{BUDGET} <= 0",
    ],
    "Error budget objective": [f"team_target:servicepulse_slo_objective:ratio{{{TEAM}}}"],
}


def row_panels(board: dict[str, Any], row: str) -> list[dict[str, Any]]:
    """The panels between the row ``row`` and the next row, in order."""
    out: list[dict[str, Any]] = []
    inside = False
    for p in board["panels"]:
        if p.get("type") == "row":
            inside = p["title"] == row
            out.extend(p.get("panels", []) if inside else [])
        elif inside:
            out.append(p)
    return out


def exprs(board: dict[str, Any], row: str) -> dict[str, list[str]]:
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in row_panels(board, row)}


def steps(p: dict[str, Any]) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in dashboards.iter_panels(board) if p.get("title") == title)


# -- the exact PromQL ----------------------------------------------------------------------


def test_the_next_hour_row_reads_the_forecast_rules() -> None:
    assert exprs(LIVE, "Next hour") == NEXT_HOUR


def test_the_volume_and_backlog_row_reads_the_volume_and_backlog_rules() -> None:
    assert exprs(LIVE, "Volume and backlog") == VOLUME_AND_BACKLOG


def test_the_error_budget_row_reads_the_slo_rules_of_the_selected_team() -> None:
    assert exprs(LEAD, "Error budget") == ERROR_BUDGET


def test_the_rows_sit_where_the_boards_list_them() -> None:
    live = [p["title"] for p in LIVE["panels"] if p.get("type") == "row"]
    assert live.index("Next hour") == live.index("Service level") + 1
    assert live.index("Volume and backlog") == live.index("Backlog") + 1
    lead = [p["title"] for p in LEAD["panels"] if p.get("type") == "row"]
    assert lead.index("Error budget") == lead.index("SLA attainment against policy") + 1


def test_every_rule_the_rows_read_is_recorded_in_the_alert_rules_file() -> None:
    recorded = set(re.findall(r"record:\s*(\S+)", ALERTS.read_text()))
    rows = {**NEXT_HOUR, **VOLUME_AND_BACKLOG, **ERROR_BUDGET}
    read = {
        name
        for queries in rows.values()
        for e in queries
        for name in re.findall(r"(?<![\w:])([a-z_]+:[\w:]+)", e)
    }
    assert len(read) == 15
    assert read <= recorded, read - recorded


def test_the_error_budget_follows_the_policys_window() -> None:
    doc = {
        "policies": [{"name": "all", "match": {}, "targets": {"first_response": "1h"}}],
        "objectives": {"window": "7d", "first_response": "95%"},
    }
    lead = dashboards.build_all(parse_policy(doc))["team-lead-sla.json"]
    (budget,) = panel(lead, "Error budget left")["targets"]
    assert budget["expr"] == (
        f"team_target:servicepulse_slo_error_budget_remaining:ratio_rate7d{{{TEAM}}}"
    )


# -- no zero-filling, unknown is grey ------------------------------------------------------


def test_no_panel_of_the_new_rows_fills_in_a_zero() -> None:
    rows = {**NEXT_HOUR, **VOLUME_AND_BACKLOG, **ERROR_BUDGET}
    for title, queries in rows.items():
        for e in queries:
            assert "vector(" not in e, title
            assert not re.search(r"\bor\b", e), (title, e)  # no fill of any kind
            assert "0 *" not in e, (title, e)


def test_a_tile_without_a_value_reads_its_text_in_grey() -> None:
    for title, text in (
        ("Forecast service level, next hour", "no forecast"),
        ("Agents to add", "no forecast"),
        ("Forecast ASA, next hour", "no forecast"),
        ("Contacts forecast, next hour", "no forecast"),
    ):
        p = panel(LIVE, title)
        assert p["fieldConfig"]["defaults"]["noValue"] == text
        assert p["fieldConfig"]["defaults"]["mappings"][-1] == {
            "type": "special",
            "options": {"match": "null+nan", "result": {"text": text, "color": GREY}},
        }
    for title, text in (
        ("Error budget left", "no objective"),
        ("Burn rate, 1 h", "no clock closed"),
        ("Burn rate, 6 h", "no clock closed"),
        ("Error budget objective", "no objective"),
    ):
        p = panel(LEAD, title)
        assert p["fieldConfig"]["defaults"]["mappings"][-1]["options"]["result"] == {
            "text": text,
            "color": GREY,
        }


# -- thresholds ----------------------------------------------------------------------------


def test_thresholds_are_the_goals_and_the_alert_factors() -> None:
    # service level 80 % goal, 70 % floor (Objectives); ASA 15 s / 20 s
    assert steps(panel(LIVE, "Forecast service level, next hour")) == [
        (None, "red"),
        (0.7, "orange"),
        (0.8, "green"),
    ]
    assert steps(panel(LIVE, "Forecast ASA, next hour")) == [
        (None, "green"),
        (15.0, "orange"),
        (20.0, "red"),
    ]
    assert steps(panel(LIVE, "Agents to add")) == [(None, "green"), (1, "orange")]
    # budget: orange below a quarter, red when spent; burn: orange from 1x, red from the
    # alert's factor over the window (14.4x fast page over 1 h, 6x slow ticket over 6 h)
    assert steps(panel(LEAD, "Error budget left")) == [
        (None, "red"),
        (0.0, "orange"),
        (0.25, "green"),
    ]
    assert steps(panel(LEAD, "Burn rate, 1 h")) == [
        (None, "green"),
        (1.0, "orange"),
        (14.4, "red"),
    ]
    assert steps(panel(LEAD, "Burn rate, 6 h")) == [
        (None, "green"),
        (1.0, "orange"),
        (6.0, "red"),
    ]


def test_the_backlog_eta_is_a_date_and_the_drain_may_go_below_zero() -> None:
    table = panel(LIVE, "Backlog clears at")
    units = {
        o["matcher"]["options"]: next(p["value"] for p in o["properties"] if p["id"] == "unit")
        for o in table["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
    }
    assert units == {"Open": "none", "Clears at": "dateTimeAsIso"}
    drain = panel(LIVE, "Net drain per hour")
    assert "min" not in drain["fieldConfig"]["defaults"]
    assert drain["fieldConfig"]["defaults"]["unit"] == "suffix: /h"


def test_the_new_panels_are_prometheus_panels_with_instant_tiles() -> None:
    for board, rows in ((LIVE, ("Next hour", "Volume and backlog")), (LEAD, ("Error budget",))):
        for row in rows:
            for p in row_panels(board, row):
                assert p["datasource"]["uid"] != LEDGER_UID
                if p["type"] in ("stat", "table"):
                    assert all(t.get("instant") for t in p["targets"]), p["title"]
                else:
                    assert not any(t.get("instant") for t in p["targets"]), p["title"]


def test_the_next_hour_queries_are_the_ones_promtool_checks_with_agents_on_duty() -> None:
    """The demo has no agents on duty, so tests/promtool/forecast_board_test.yml evaluates the
    row's queries over the forecast rules with hand-worked Erlang C values; it must hold the
    board's queries, not copies that drifted."""
    doc = yaml.safe_load((ROOT / "tests" / "promtool" / "forecast_board_test.yml").read_text())
    checked = [t["expr"] for case in doc["tests"] for t in case["promql_expr_test"]]
    for title, queries in NEXT_HOUR.items():
        for e in queries:
            concrete = e.replace("$team", "billing|technical")
            assert any(concrete in c for c in checked), (title, concrete)
