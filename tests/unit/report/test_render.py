"""The weekly report's content: changes, colours against objectives, small samples, missing
values, the order and folding of rows, quantiles, the summary line, partial weeks."""

from __future__ import annotations

import re

import pytest

from streams.core.policy import Objectives
from streams.report.figures import Coverage, TeamWeek, WeekReport, quantile, total_of
from streams.report.render import (
    DOWN,
    MIN_SAMPLE,
    MISSING,
    SAME,
    UP,
    Change,
    Judge,
    change_of,
    natural_key,
    render_html,
    render_text,
    summary_line,
    team_rows,
)

START = 1_794_182_400.0  # Monday 2026-11-09 00:00 UTC, 2026-W46
WEEK = 7 * 86400.0
INF = float("inf")


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
        # a lower-is-better figure (a backlog) 40 -> 25: down, good news; up, bad
        (25.0, 40.0, "count", "lower", Change("-15", DOWN, "better")),
        (41.0, 40.0, "count", "lower", Change("+1", UP, "worse")),
        # 80.00% -> 80.04% prints as 0.0 pt: no change, whatever the sign underneath
        (0.8004, 0.80, "share", "higher", Change("0.0 pt", SAME, "neutral")),
        (0.7996, 0.80, "share", "higher", Change("0.0 pt", SAME, "neutral")),
        (0.8006, 0.80, "share", "higher", Change("+0.1 pt", UP, "better")),
        (7.0, 7.0, "count", "", Change("0", SAME, "neutral")),
        # a time: 4 min -> 5 min is 1.0 min worse; 30 s -> 30.4 s prints the same
        (300.0, 240.0, "seconds", "lower", Change("+1.0 min", UP, "worse")),
        (30.4, 30.0, "seconds", "lower", Change("0", SAME, "neutral")),
        # no figure in either week: no arrow, no colour
        (None, 0.8, "share", "higher", Change(MISSING, "", "neutral")),
        (0.8, None, "share", "higher", Change(MISSING, "", "neutral")),
    ],
)
def test_a_change_has_the_printed_difference_an_arrow_and_a_tone(
    this: float | None, before: float | None, kind: str, better: str, expected: Change
) -> None:
    assert change_of(this, before, kind, better) == expected


def test_team_names_sort_naturally_so_g2_comes_before_g19() -> None:
    names = ["g19", "g2", "g10", "G3", "billing"]
    assert sorted(names, key=natural_key) == ["billing", "g2", "G3", "g10", "g19"]


def test_a_quantile_is_interpolated_in_its_bucket_as_prometheus_does() -> None:
    # 10 answers: 2 within 10 s, 6 within 20 s, 8 within 60 s, all 10 below +Inf
    buckets = {10.0: 2.0, 20.0: 6.0, 60.0: 8.0, INF: 10.0}
    # median: rank 5, the 3rd of the 4 answers in (10, 20] -> 10 + 10 x 3/4
    assert quantile(0.5, buckets).value == pytest.approx(17.5)  # type: ignore[union-attr]
    # p10: rank 1, half of the first bucket, which starts at 0 -> 5 s
    assert quantile(0.1, buckets).value == pytest.approx(5.0)  # type: ignore[union-attr]
    # p90: rank 9, in +Inf: known only as more than the top edge
    p90 = quantile(0.9, buckets)
    assert p90 is not None and p90.beyond and p90.value == 60.0
    assert quantile(0.5, {10.0: 0.0, INF: 0.0}) is None  # nothing answered: no figure


def counts(**values: float) -> dict[str, float]:
    return dict(values)


def busy(
    created: float, met: float, breached: float, good: float = 40, answers: float = 50
) -> TeamWeek:
    return TeamWeek(
        counts(created=created, sla_met=met, sla_breached=breached, csat_good=good,
               csat_all=answers, resolved=60, fcr=30, reopened=3, live_created=100,
               live_abandoned=7, answered=80, abandoned=7, abandoned_short=2,
               **{"within:0": 60.0, "answered:0": 80.0, "within:1": 0.0,
                  "met:first_response": met, "breached:first_response": breached}),
        {"first_response": {10.0: 2.0, 20.0: 6.0, 60.0: 8.0, INF: 10.0}},
        backlog=12,
    )  # fmt: skip


def report_of(
    this: dict[str, TeamWeek], before: dict[str, TeamWeek], **extra: object
) -> WeekReport:
    trend: list[tuple[str, TeamWeek | None]] = [(f"2026-W{w}", None) for w in range(35, 45)]
    trend += [("2026-W45", total_of(before.values())), ("2026-W46", total_of(this.values()))]
    return WeekReport("2026-W46", START, this, before, total_of(this.values()),
                      total_of(before.values()), trend, **extra)  # type: ignore[arg-type]  # fmt: skip


def cell(page: str, team: str, figure: str) -> tuple[str, str, str]:
    """(tone class, data-value, text) of a team's cell."""
    found = re.search(
        rf"class='(\w+)' data-value='([^']*)' data-team='{team}' data-figure='{figure}'>([^<]*)<",
        page,
    )
    assert found, (team, figure)
    return found.group(1), found.group(2), found.group(3)


def test_service_level_counts_abandons_in_its_denominator() -> None:
    # 60 answered within 20 s of 80 answered, 7 abandoned of which 2 short: 60 / 85
    assert busy(100, 90, 10).service_level == pytest.approx(60 / 85)
    # a threshold that is not a bucket edge: no count of "within", no figure (not 0 %)
    week = busy(100, 90, 10)
    del week.counts["within:0"]
    assert week.service_level is None


def test_each_figure_is_coloured_against_its_objective_not_its_change() -> None:
    """The issue's case: 65.9 % attainment against a 95 % objective, up 2.7 points."""
    this = {"g1": busy(200, 659, 341)}
    before = {"g1": busy(200, 632, 368)}
    page = render_html(
        report_of(this, before), "test", Objectives(targets={"first_response": 0.95})
    )
    assert cell(page, "g1", "sla") == ("bad", repr(0.659), "65.9%")
    assert "data-change='sla' data-tone='better'>\u25b2 +2.7 pt<" in page  # the change: better
    # a team's own objective (the policy's per-team override) judges its row
    lenient = Objectives(targets={"first_response": 0.95}, teams={"g1": {"first_response": 0.6}})
    page = render_html(report_of(this, before), "test", lenient)
    assert cell(page, "g1", "met:first_response")[0] == "good"
    # boards' objectives for the rest: abandonment 7 % is past 5 % (amber), not past 10 %
    assert cell(page, "g1", "abandonment") == ("warn", repr(0.07), "7.0%")


def test_a_sample_below_the_minimum_has_no_colour_and_no_arrow() -> None:
    few = MIN_SAMPLE - 1
    this = {"g1": busy(5, few - 9, 9, good=1, answers=few)}
    before = {"g1": busy(5, few, 0, good=few, answers=few)}
    page = render_html(report_of(this, before), "test")
    tone, _, text = cell(page, "g1", "csat")
    assert (tone, text) == ("few", "5.3%")  # 1 / 19, grey
    assert "data-team='g1' data-change='csat'" not in page
    assert "data-team='g1' data-change='sla'" not in page
    assert f"n={few}" in page  # the sample is shown


def test_a_missing_figure_is_a_dash_never_a_zero() -> None:
    quiet = TeamWeek(counts(created=4, resolved=0), {}, backlog=None)
    page = render_html(report_of({"g1": quiet}, {}), "test")
    for figure in ("csat", "sla", "abandonment", "service_level", "asa", "fr_p90", "backlog"):
        assert cell(page, "g1", figure) == ("none", "", MISSING), figure
    # the trend's weeks without data are dashes too
    assert re.search(rf"data-week='2026-W35' data-figure='volume' data-value=''>{MISSING}<", page)


def test_rows_go_by_volume_then_name_and_the_rest_fold_into_all_others() -> None:
    this = {f"g{i}": busy(10 * (i % 4), 90, 10) for i in range(1, 21)}  # volumes 10,20,30,0..
    this["g21"] = TeamWeek(counts(created=0, sla_met=0), {}, backlog=0)  # idle: all zero
    table = team_rows(report_of(this, {}), top=5)
    # volume 30: g3, g7, g11, g15, g19 (natural order, not g11, g15, g19, g3, g7)
    assert [r.name for r in table.rows] == [
        "g3",
        "g7",
        "g11",
        "g15",
        "g19",
        "all others (16 teams)",
    ]
    assert table.idle == ("g21",)
    others = table.rows[-1]
    # 5 teams of 20 + 5 of 10 + 5 of 0 (g4..g20 by 4) + the idle one: 150 contacts
    assert others.this is not None and others.this.volume == 150
    assert others.members[-1] == "g21"


def test_the_summary_line_gives_the_weeks_headline_figures() -> None:
    this = {"g1": busy(300, 900, 100), "g2": busy(100, 60, 40)}
    before = {"g1": busy(250, 900, 100), "g2": busy(100, 90, 10)}
    line = summary_line(report_of(this, before), Judge(Objectives(targets={"first_response": 0.9})))
    # 400 contacts (+50); attainment 960 / 1,100 = 87.3 %; abandoned 14 / 200; service level
    # 120 / 170; backlog 24; breaches 140; the lowest: g2 with 60 %
    assert line == (
        "Week 2026-W46: 400 contacts (+50 on the week before), SLA attainment 87.3% "
        "(objective \u2265 90.0%), 7.0% abandoned, service level 70.6%, backlog 24 at week "
        "end, 140 breaches, lowest attainment: g2 60.0%."
    )


def test_a_partial_week_is_flagged_in_the_page_and_the_text() -> None:
    this = {"g1": busy(300, 900, 100)}
    cover = Coverage(START, START + WEEK, START + 2 * 86400, START + WEEK, over=True)
    report = report_of(this, this, coverage=cover)
    page, text = render_html(report, "test"), render_text(report)
    assert "This week is partial: data only from Wed 11 Nov 00:00 to Mon 16 Nov 00:00 UTC" in text
    assert "class='partial'>&#9888; This week is partial" in page
    assert text.splitlines()[2].startswith("Week 2026-W46 (partial week):")


def test_the_text_part_carries_the_figures_not_a_pointer_to_an_attachment() -> None:
    this = {"g1": busy(300, 900, 100), "g2": busy(100, 60, 40)}
    text = render_text(report_of(this, this), Objectives(targets={"first_response": 0.95}))
    assert "  SLA attainment             87.3% (!!)" in text  # below the 95 % objective
    assert "Five worst teams" in text and "  g2 " in text
    assert "attached" not in text
