"""The weekly report's change column: the difference, an arrow, and green/red by whether the
figure is better higher (CSAT, SLA attainment, FCR) or lower, grey for volume."""

from __future__ import annotations

import re

import pytest

from streams.report.figures import TeamWeek, WeekReport
from streams.report.render import DOWN, SAME, UP, Change, change_of, render_html


@pytest.mark.parametrize(
    ("this", "before", "kind", "better", "expected"),
    [
        # CSAT 80.0% -> 82.3%: up 2.3 points, good news
        (0.823, 0.80, "share", "higher", Change("+2.3 pt", UP, "better")),
        # SLA attainment 95% -> 90%: down 5 points, bad news
        (0.90, 0.95, "share", "higher", Change("-5.0 pt", DOWN, "worse")),
        # volume 100 -> 80: down 20, neither better nor worse
        (80.0, 100.0, "count", "", Change("-20", DOWN, "neutral")),
        (1234.0, 100.0, "count", "", Change("+1,134", UP, "neutral")),
        # a lower-is-better figure (a time, a backlog) 40 -> 25: down, good news; up, bad
        (25.0, 40.0, "count", "lower", Change("-15", DOWN, "better")),
        (41.0, 40.0, "count", "lower", Change("+1", UP, "worse")),
        # 80.00% -> 80.04% prints as 0.0 pt: no change, whatever the sign underneath
        (0.8004, 0.80, "share", "higher", Change("0.0 pt", SAME, "neutral")),
        (0.7996, 0.80, "share", "higher", Change("0.0 pt", SAME, "neutral")),
        # 80.0% -> 80.06% prints as +0.1 pt: up
        (0.8006, 0.80, "share", "higher", Change("+0.1 pt", UP, "better")),
        (7.0, 7.0, "count", "", Change("0", SAME, "neutral")),
        # no figure in either week: no arrow, no colour
        (None, 0.8, "share", "higher", Change("–", "", "neutral")),
        (0.8, None, "share", "higher", Change("–", "", "neutral")),
    ],
)
def test_a_change_has_the_printed_difference_an_arrow_and_a_tone(
    this: float | None, before: float | None, kind: str, better: str, expected: Change
) -> None:
    assert change_of(this, before, kind, better) == expected


def team(created: float, good: float, answers: float, met: float, breached: float) -> TeamWeek:
    counts = {"created": created, "csat_good": good, "csat_all": answers}
    counts |= {"sla_met": met, "sla_breached": breached, "fcr": 30.0, "resolved": 60.0}
    return TeamWeek(counts)


@pytest.fixture(scope="module")
def page() -> str:
    # billing: CSAT 40/50 = 80.0% -> 45/50 = 90.0%, SLA 95/100 -> 90/100, volume 120 -> 100
    # sales: CSAT 45/50 -> 40/50, SLA 90/100 -> 99/100, volume 80 -> 100
    this = {"billing": team(100, 45, 50, 90, 10), "sales": team(100, 40, 50, 99, 1)}
    before = {"billing": team(120, 40, 50, 95, 5), "sales": team(80, 45, 50, 90, 10)}
    this_total = team(200, 85, 100, 189, 11)  # CSAT 85.0%, SLA 94.5%
    before_total = team(200, 85, 100, 185, 15)  # CSAT 85.0%, SLA 92.5%
    report = WeekReport("2026-W46", 1_794_182_400.0, this, before, this_total, before_total)
    return render_html(report, "test")


def cell(page: str, team: str, figure: str) -> tuple[str, str, str]:
    """(class, data-tone, text) of a team's change cell."""
    found = re.search(
        rf"<td class='([^']*)' data-team='{team}' data-change='{figure}' "
        rf"data-tone='([^']*)'>([^<]*)</td>",
        page,
    )
    assert found, (team, figure)
    return found.group(1), found.group(2), found.group(3)


def test_the_team_table_colours_each_change_by_its_figures_direction(page: str) -> None:
    assert cell(page, "billing", "csat") == ("delta better", "better", f"{UP} +10.0 pt")
    assert cell(page, "billing", "sla") == ("delta worse", "worse", f"{DOWN} -5.0 pt")
    assert cell(page, "billing", "volume") == ("delta neutral", "neutral", f"{DOWN} -20")
    assert cell(page, "sales", "csat") == ("delta worse", "worse", f"{DOWN} -10.0 pt")
    assert cell(page, "sales", "sla") == ("delta better", "better", f"{UP} +9.0 pt")
    assert cell(page, "sales", "volume") == ("delta neutral", "neutral", f"{UP} +20")
    assert cell(page, "sales", "fcr") == ("delta neutral", "neutral", f"{SAME} 0.0 pt")


def test_the_headline_tiles_show_the_overall_change_the_same_way(page: str) -> None:
    tiles = dict(
        re.findall(
            r"<div class='change [a-z]+' data-change='(\w+)' data-tone='[a-z]+'>([^<]*)<", page
        )
    )
    assert tiles == {
        "volume": f"{SAME} 0 vs week before",
        "csat": f"{SAME} 0.0 pt vs week before",
        "sla": f"{UP} +2.0 pt vs week before",
        "fcr": f"{SAME} 0.0 pt vs week before",
    }
    assert "<div class='change better' data-change='sla' data-tone='better'>" in page


def test_better_and_worse_have_their_own_colours(page: str) -> None:
    style = page[page.index("<style>") : page.index("</style>")]
    better = re.search(r"\.better \{\{? color: (#[0-9a-f]{6})", style)
    worse = re.search(r"\.worse \{\{? color: (#[0-9a-f]{6})", style)
    assert better and worse and better.group(1) != worse.group(1)
