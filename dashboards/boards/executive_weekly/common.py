"""Executive weekly board: constants and panel shapes shared by its rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from grafana_foundation_sdk.builders import bargauge, common, stat
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib, windows
from dashboards.boards.executive_weekly.figures import FIGURES, SAME, Figure
from dashboards.lib import Target
from streams.report.figures import MIN_SAMPLE

UID = "servicepulse-executive-weekly"
FASTER = {"p50": "half of the tickets were faster", "p90": "9 in 10 tickets were faster"}
THIS_WEEK = "This week"
WEEK_BEFORE = "Week before"
CHANGE = "{{arrow}} change"
NO_DATA = "no data yet"
FEW = "#ff9830"  # orange: a sample under MIN_SAMPLE, too few for a change
INTRO = f"""\
**This week against the week before.** *This week* is the board's time range: **Last 7 days**
(rolling, the default) or **Last calendar week** (Monday to Sunday, UTC, the ISO week of
`servicepulse report`): switch with the links at the top right, or pick any range and the week
before is the same length just before it. Each tile shows this week (coloured green / orange /
red against the goal in its description), the week before (purple) and the change: ▲ up,
▼ down, = unchanged, **green when the figure moved the good way, red when it moved the bad
way**, blue for volumes that are neither. Shares change in percentage points (pts). A week
without data shows "no data yet" and no change. The last line, **n**, is what this week's
figure rests on (answers, clocks, responses ...): under {MIN_SAMPLE} (orange) there is no change, a
share of a handful moves with every answer. SLA attainment is coloured against the SLA
policy's `objectives`. Times are SLA-clock times (business hours of the SLA policy, paused
periods excluded). The trends show the 12 complete ISO weeks up to the end of the range.
"""


def weekly(expr: Callable[[windows.Window], str], legend: str = "") -> list[Target]:
    """This week's and the week before's value of a figure (bars, per-label series)."""
    this, before = (f"{legend} · {THIS_WEEK.lower()}", f"{legend} · {WEEK_BEFORE.lower()}")
    if not legend:
        this, before = THIS_WEEK, WEEK_BEFORE
    return [
        Target(expr(windows.THIS_WEEK), this, instant=True),
        Target(windows.week_before(expr(windows.THIS_WEEK)), before, instant=True),
    ]


def tile(
    title: str,
    description: str,
    steps: Sequence[lib.Step],
    *,
    figure: Figure | None = None,
    w: int = 6,
    h: int = 6,
) -> stat.Panel:
    """A figure's tile: this week, the week before and the change with its arrow and colour."""
    fig = figure or FIGURES[title]
    this, before = fig.query(windows.THIS_WEEK), windows.week_before(fig.query(windows.THIS_WEEK))
    samples = None
    if fig.sample is not None:
        sample = fig.sample(windows.THIS_WEEK)
        samples = (sample, windows.week_before(sample))
        description += (
            f" n: the {fig.sample_name} this week's figure rests on; under {MIN_SAMPLE} (orange) "
            "no change is shown."
        )
    targets = [
        Target(windows.or_nothing_yet(this), THIS_WEEK, instant=True),
        Target(windows.or_nothing_yet(before), WEEK_BEFORE, instant=True),
        Target(
            windows.change(this, before, fig.change_scale, samples, MIN_SAMPLE),
            CHANGE,
            instant=True,
        ),
    ]
    if samples is not None:
        targets.append(Target(samples[0], f"n ({fig.sample_name})", instant=True))
    p = lib.stat_panel(
        title, description, targets, unit=fig.unit, steps=steps, decimals=fig.decimals, w=w, h=h
    )
    # one line per value (name left, value right); an empty week is NaN: "no data yet", grey
    # four lines (the n of a sampled figure) in the same tile height: a smaller value
    p = p.orientation(cm.VizOrientation.HORIZONTAL).text(
        common.VizTextDisplayOptions().title_size(14).value_size(20 if samples else 24)
    )
    nothing = dm.ValueMappingResult(text=NO_DATA, color=SAME)
    p = p.mappings(
        [
            dm.SpecialValueMap(
                dm.DashboardSpecialValueMapOptions(dm.SpecialValueMatch.NULL_AND_NAN, nothing)
            )
        ]
    )
    p = p.override_by_query("B", [_fixed(lib.PREVIOUS)])
    change = [dm.DynamicConfigValue(id_val="unit", value=fig.change_unit or fig.unit)]
    if fig.change_decimals is not None:
        change.append(dm.DynamicConfigValue(id_val="decimals", value=fig.change_decimals))
    p = p.override_by_query("C", change)
    for arrow, colour in fig.colours().items():
        p = p.override_by_name(CHANGE.replace("{{arrow}}", arrow), [_fixed(colour)])
    if samples is not None:
        p = p.override_by_query(
            "D",
            [
                dm.DynamicConfigValue(id_val="unit", value=lib.COUNT),
                dm.DynamicConfigValue(id_val="decimals", value=0),
                steps_value(((None, FEW), (MIN_SAMPLE, SAME))),
            ],
        )
    return p


def pair_bars(
    title: str,
    description: str,
    expr: Callable[[windows.Window], str],
    legend: str,
    *,
    unit: str,
    steps: Sequence[lib.Step],
    w: int = 6,
    h: int = 6,
    decimals: int = 0,
) -> bargauge.Panel:
    """One bar per ``legend`` label value for this week, and one for the week before (purple)."""
    return (
        lib.bars_panel(title, description, weekly(expr, legend), unit=unit, steps=steps, w=w, h=h)
        .decimals(decimals)
        .override_by_query("B", [_fixed(lib.PREVIOUS)])
    )


def steps_value(steps: Sequence[lib.Step]) -> dm.DynamicConfigValue:
    """An override's thresholds: ``steps`` for one field of a panel."""
    return dm.DynamicConfigValue(
        id_val="thresholds",
        value={"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]},
    )


def _fixed(colour: str) -> dm.DynamicConfigValue:
    return dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})
