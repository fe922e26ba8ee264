"""The executive weekly board as generated: every tile's week, week before and change, the
colour of each change by the direction that is better, the period switch and the trends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import dashboards

BOARD = dashboards.build_all()["executive-weekly.json"]
PANELS = [p for p in dashboards.iter_panels(BOARD) if p["type"] != "row"]

# Written here by hand, not read from the board's table: which way each tile's figure is better.
BETTER = {
    "CSAT": "higher",
    "NPS": "higher",
    "CES": "higher",
    "First-contact resolution": "higher",
    "SLA attainment": "higher",
    "First response, median": "lower",
    "First response, p90": "lower",
    "Resolution, median": "lower",
    "Resolution, p90": "lower",
    "Abandonment": "lower",
    "Average open backlog": "lower",
    "Reopen rate": "lower",
    "Hand-offs": "lower",
    "QA score": "higher",
    "Complaints resolved in time": "higher",
    "Contacts": "neither",
    "Complaints": "lower",
    "Complaint resolution": "lower",
}
# Written by hand: what each ratio, mean or quantile rests on (counts are their own sample).
SAMPLES = {
    "CSAT": ("answers", 'servicepulse_survey_responses_total{kind="csat"}'),
    "NPS": ("answers", 'servicepulse_survey_responses_total{kind="nps"}'),
    "CES": ("answers", 'servicepulse_survey_responses_total{kind="ces"}'),
    "First-contact resolution": ("resolutions", "servicepulse_tickets_resolved_total"),
    "SLA attainment": ("clocks judged", "servicepulse_sla_outcomes_total"),
    "First response, median": ("responses", "servicepulse_first_response_seconds_count"),
    "First response, p90": ("responses", "servicepulse_first_response_seconds_count"),
    "Resolution, median": ("resolutions", "servicepulse_resolution_seconds_count"),
    "Resolution, p90": ("resolutions", "servicepulse_resolution_seconds_count"),
    "Abandonment": (
        "phone and chat contacts",
        'servicepulse_tickets_created_total{channel=~"phone|chat"}',
    ),
    "Reopen rate": ("resolutions", "servicepulse_tickets_resolved_total"),
    "QA score": ("reviews", "servicepulse_qa_review_score_count"),
    "Complaints resolved in time": (
        "complaints resolved",
        "servicepulse_complaint_resolution_seconds_count",
    ),
    "Complaint resolution": (
        "complaints resolved",
        "servicepulse_complaint_resolution_seconds_count",
    ),
}
# (colour of ▲, colour of ▼) per direction
COLOURS = {"higher": ("green", "red"), "lower": ("red", "green"), "neither": ("blue", "blue")}


def tiles() -> list[dict[str, Any]]:
    return [p for p in PANELS if p["type"] == "stat"]


def targets(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["refId"]: t for t in panel["targets"]}


def override_colour(panel: dict[str, Any], kind: str, name: str) -> str | None:
    for o in panel["fieldConfig"]["overrides"]:
        if o["matcher"] == {"id": kind, "options": name}:
            for prop in o["properties"]:
                if prop["id"] == "color":
                    return str(prop["value"]["fixedColor"])
    return None


def test_every_tile_is_a_figure_with_a_declared_direction() -> None:
    assert sorted(p["title"] for p in tiles()) == sorted(BETTER)


@pytest.mark.parametrize("title", sorted(BETTER))
def test_each_tile_shows_this_week_the_week_before_and_the_change(title: str) -> None:
    panel = next(p for p in tiles() if p["title"] == title)
    t = targets(panel)
    sample = [("D", f"n ({SAMPLES[title][0]})")] if title in SAMPLES else []
    assert [(r, t[r]["legendFormat"]) for r in sorted(t)] == [
        ("A", "This week"),
        ("B", "Week before"),
        ("C", "{{arrow}} change"),
        *sample,
    ]
    assert all(q["instant"] for q in t.values())
    # an empty week is NaN, which the tile shows as its no-value text
    assert t["A"]["expr"].endswith(" or on () vector(NaN)")
    assert panel["fieldConfig"]["defaults"]["noValue"] == "no data yet"
    (nan,) = panel["fieldConfig"]["defaults"]["mappings"]
    assert nan["type"] == "special" and nan["options"]["match"] == "null+nan"
    assert nan["options"]["result"]["text"] == "no data yet"
    this = t["A"]["expr"].removesuffix(" or on () vector(NaN)")[1:-1]
    before = t["B"]["expr"].removesuffix(" or on () vector(NaN)")[1:-1]
    # the week before is the same increases over the same length, ending where this week starts
    # this week ends 1 ms after Grafana's "to" (a calendar week: Monday 00:00:00.000) and
    # starts at its "from"; the week before is the same figure evaluated one range earlier
    assert " offset -1ms" in this
    assert " offset ${__range_ms}ms" in this or "[${__range_ms}ms:1h] offset -1ms" in this
    assert before == f"last_over_time(({this})[1ms:1ms] offset ${{__range_ms}}ms)"
    # the change is their difference, split by sign into ▲, ▼ and = (one of them answers)
    change = t["C"]["expr"]
    for arrow, op in (("▲", ">"), ("▼", "<"), ("=", "==")):
        assert f'{op} 0, "arrow", "{arrow}", "", "")' in change
    assert change.count(f"(({this}) - ({before}))") == 3  # parenthesised: figures end in `and`


@pytest.mark.parametrize("title", sorted(SAMPLES))
def test_a_tile_shows_its_sample_and_no_change_under_20(title: str) -> None:
    panel = next(p for p in tiles() if p["title"] == title)
    t = targets(panel)
    selector = SAMPLES[title][1]
    # n: the growth of the sample's counter over this week, read as the figure reads its own
    assert t["D"]["expr"].startswith(f"sum ((({selector} offset -1ms - {selector} offset ")
    # the change only when this week's and the week before's samples are both at least 20
    this, before = (
        t["D"]["expr"],
        f"last_over_time(({t['D']['expr']})[1ms:1ms] offset " + ("${__range_ms}ms)"),
    )
    assert t["C"]["expr"].endswith(f") and on () (({this}) >= 20) and on () (({before}) >= 20)")
    # under 20 the n reads orange, from 20 grey; a whole number
    (d,) = [o for o in panel["fieldConfig"]["overrides"] if o["matcher"]["options"] == "D"]
    props = {p["id"]: p["value"] for p in d["properties"]}
    assert props["decimals"] == 0
    assert [(s["value"], s["color"]) for s in props["thresholds"]["steps"]] == [
        (None, "#ff9830"),
        (20, "#8e8e8e"),
    ]


@pytest.mark.parametrize("title", sorted(set(BETTER) - set(SAMPLES)))
def test_a_count_is_its_own_sample_and_always_has_its_change(title: str) -> None:
    panel = next(p for p in tiles() if p["title"] == title)
    assert sorted(targets(panel)) == ["A", "B", "C"]
    assert ">= 20" not in targets(panel)["C"]["expr"]


@pytest.mark.parametrize("title", sorted(BETTER))
def test_the_change_is_green_when_the_figure_moved_the_good_way(title: str) -> None:
    panel = next(p for p in tiles() if p["title"] == title)
    up, down = COLOURS[BETTER[title]]
    assert override_colour(panel, "byName", "▲ change") == up
    assert override_colour(panel, "byName", "▼ change") == down
    assert override_colour(panel, "byName", "= change") == "#8e8e8e"
    assert override_colour(panel, "byFrameRefID", "B") == "purple"


def test_shares_change_in_percentage_points_and_times_in_their_unit() -> None:
    units = {}
    for panel in tiles():
        for o in panel["fieldConfig"]["overrides"]:
            if o["matcher"] == {"id": "byFrameRefID", "options": "C"}:
                units[panel["title"]] = {p["id"]: p["value"] for p in o["properties"]}["unit"]
        if panel["title"] == "CSAT":
            assert targets(panel)["C"]["expr"].startswith("(label_replace(100 * ((")
    assert units["CSAT"] == units["SLA attainment"] == units["NPS"] == "suffix:pts"
    assert units["First response, median"] == "s"
    assert units["Contacts"] == "none"


def test_the_board_switches_between_the_last_7_days_and_the_last_calendar_week() -> None:
    assert BOARD["time"] == {"from": "now-7d", "to": "now"}
    assert BOARD["timezone"] == "utc" and BOARD["weekStart"] == "monday"
    links = {link["title"]: link for link in BOARD["links"]}
    assert set(links) == {"Last 7 days", "Last calendar week"}
    assert links["Last 7 days"]["url"] == ("/d/servicepulse-executive-weekly?from=now-7d&to=now")
    assert links["Last calendar week"]["url"] == (
        "/d/servicepulse-executive-weekly?from=now-1w/w&to=now-1w/w"
    )
    assert all(link["type"] == "link" and not link["keepTime"] for link in links.values())


def test_the_trends_are_12_weekly_bars_ending_at_the_boards_end() -> None:
    row = next(p for p in BOARD["panels"] if p.get("title") == "Trends, 12 weeks")
    start = BOARD["panels"].index(row)
    trend = [p for p in BOARD["panels"][start + 1 : start + 5]]
    assert [p["title"] for p in trend] == [
        "Contacts per week",
        "CSAT per week",
        "SLA attainment per week",
        "First-contact resolution per week",
    ]
    for panel in trend:
        # bars on their own time axis: no relative-time override, which ignores an absolute
        # range and pins a relative one to now
        assert panel["type"] == "barchart" and "timeFrom" not in panel
        (t,) = panel["targets"]
        assert t["instant"] is True and " offset -4d)" in t["expr"] and " offset 3d)" in t["expr"]
        # a week counts once it has ended and was seen from its start: samples at both ends;
        # 12 weeks less 1 ms of 1-week steps, the last on the Thursday 4 days - 1 ms before
        # the query time
        assert t["expr"].endswith(
            ") and on () (count(servicepulse_tickets_created_total offset -4d)"
            " and on () count(servicepulse_tickets_created_total offset 3d)))"
            "[11w6d23h59m59s999ms:1w] offset 3d23h59m59s999ms"
        )
    # 12 weeks less 1 ms, 4 days less 1 ms, by hand
    assert ((11 * 7 + 6) * 86400 + 23 * 3600 + 59 * 60 + 59.999) == 12 * 604800 - 0.001
    assert (3 * 86400 + 23 * 3600 + 59 * 60 + 59.999) == 4 * 86400 - 0.001


def test_a_week_long_step_lands_on_thursdays_whose_iso_week_is_3_days_back_to_4_ahead() -> None:
    """Why the trends read at ``offset 3d`` and ``offset -4d`` (dashboards/windows.py)."""
    for k in (2000, 2912, 2913):  # multiples of a week since the epoch, in 2008 and 2025-26
        thursday = datetime.fromtimestamp(k * 604800, UTC)
        assert thursday.weekday() == 3 and thursday.hour == 0
        monday, next_monday = thursday - timedelta(days=3), thursday + timedelta(days=4)
        assert monday.weekday() == 0 and next_monday.weekday() == 0
        assert monday.isocalendar()[:2] == thursday.isocalendar()[:2]


def test_the_team_table_has_each_figure_this_week_the_week_before_and_the_change() -> None:
    table = next(p for p in PANELS if p["title"] == "Teams, this week and the week before")
    organize = next(t for t in table["transformations"] if t["id"] == "organize")
    headers = [
        organize["options"]["renameByName"][f"Value #{t['refId']}"] for t in table["targets"]
    ]
    figures = ["Contacts", "CSAT", "FCR", "SLA", "First response"]
    assert headers == [h for f in figures for h in (f, f"{f} before", f"{f} change")]
    steps = {
        o["matcher"]["options"]: [
            (s["value"], s["color"])
            for prop in o["properties"]
            if prop["id"] == "thresholds"
            for s in prop["value"]["steps"]
        ]
        for o in table["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
    }
    assert steps["CSAT change"] == [(None, "red"), (0, "#8e8e8e"), (1e-9, "green")]
    assert steps["First response change"] == [
        (None, "green"),
        (0, "#8e8e8e"),
        (1e-9, "red"),
    ]
    assert steps["Contacts change"] == [(None, "blue"), (0, "#8e8e8e"), (1e-9, "blue")]
    csat = {t["refId"]: t["expr"] for t in table["targets"]}
    assert csat["F"] == f"100 * (({csat['D']}) - ({csat['E']}))"


def test_every_query_reads_counters_at_the_range_ends_not_recording_rules() -> None:
    """So that a history backfilled without rules (backfill --no-rules) shows on the board."""
    for panel in PANELS:
        if panel["type"] == "text":
            continue
        for t in panel["targets"]:
            rules = re.findall(r"[a-z_]*:[a-z_]+:[\w]+", t["expr"])
            assert not rules, (panel["title"], rules)
