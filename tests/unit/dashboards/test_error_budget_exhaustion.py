"""The team lead board's "Days to exhaustion at this pace": the words and colours of its three
cases, and the queries that tests/promtool/error_budget_board_test.yml evaluates by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import dashboards

ROOT = Path(__file__).resolve().parents[3]
LEAD = dashboards.build_all()["team-lead-sla.json"]
TITLE = "Days to exhaustion at this pace"


def tile() -> dict[str, Any]:
    return next(p for p in dashboards.iter_panels(LEAD) if p.get("title") == TITLE)


def test_the_promtool_test_holds_the_boards_own_queries() -> None:
    doc = yaml.safe_load((ROOT / "tests/promtool/error_budget_board_test.yml").read_text())
    checked = {t["expr"] for case in doc["tests"] for t in case["promql_expr_test"]}
    for target in tile()["targets"]:
        for team in ("billing", "sales"):
            assert target["expr"].replace("$team", team) in checked, (target["refId"], team)


def test_days_left_are_seconds_red_under_a_day_orange_under_a_week() -> None:
    defaults = tile()["fieldConfig"]["defaults"]
    assert defaults["unit"] == "s"
    steps = [(s["value"], s["color"]) for s in defaults["thresholds"]["steps"]]
    assert steps == [(None, "red"), (86400, "orange"), (7 * 86400, "green")]


def test_not_burning_is_green_words_and_exhausted_red_words() -> None:
    words = {}
    for o in tile()["fieldConfig"]["overrides"]:
        (prop,) = o["properties"]
        (mapping,) = prop["value"]
        assert prop["id"] == "mappings" and mapping["type"] == "range"
        # any budget left (1 down to an overspent -5) reads the words
        assert mapping["options"]["from"] <= -5 and mapping["options"]["to"] >= 1
        result = mapping["options"]["result"]
        words[o["matcher"]["options"]] = (result["text"], result["color"])
    assert words == {"B": ("not burning", "green"), "C": ("exhausted", "red")}


def test_the_row_still_fits_one_line_of_the_grid() -> None:
    row = [
        p
        for p in dashboards.iter_panels(LEAD)
        if p.get("gridPos", {}).get("y") == tile()["gridPos"]["y"]
    ]
    assert sum(p["gridPos"]["w"] for p in row) == 24
