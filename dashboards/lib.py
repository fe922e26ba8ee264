"""Panel helpers on top of grafana-foundation-sdk: one place for units, colours and layout.

Every board module builds its panels with these functions, so that all panels
get the same data source, a description, a unit, thresholds and a colour
scheme, and every query gets a stable ``refId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import (
    alertgroups,
    barchart,
    bargauge,
    common,
    prometheus,
    stat,
    table,
    text,
    timeseries,
)
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as pm
from grafana_foundation_sdk.models import text as tm

# Fixed data source uids: deploy/grafana/provisioning and `dashboards push` create
# the data sources under these uids, the boards refer to them.
PROMETHEUS_UID = "servicepulse-prometheus"
ALERTMANAGER_UID = "servicepulse-alertmanager"
# names as well: Grafana's Alert groups panel names its Alertmanager by data source name
PROMETHEUS_NAME = "ServicePulse Prometheus"
ALERTMANAGER_NAME = "ServicePulse Alertmanager"
PROMETHEUS = dm.DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
ALERTMANAGER = dm.DataSourceRef(type_val="alertmanager", uid=ALERTMANAGER_UID)

# Grafana colour names (the classic palette every theme maps).
GOOD = "green"
WARN = "orange"
BAD = "red"
NEUTRAL = "blue"
NOT_MEASURED = "#8e8e8e"  # grey: a target the loaded SLA policy does not measure
CURRENT = "blue"  # this week
PREVIOUS = "purple"  # the week before

# Units (Grafana unit ids).
SECONDS = "s"
RATIO = "percentunit"  # 0-1 shown as %
COUNT = "none"
PER_HOUR = "suffix: /h"
EVENTS_PER_SECOND = "eps"

Step = tuple[float | None, str]

# A line bridges a gap in its data up to this long (a missed scrape or rule evaluation) and
# breaks across a longer one: a closed night or a dead target is not drawn as a straight line.
SPAN_GAPS_MS = 15 * 60 * 1000

# What a live figure says when its query has no answer: the source is absent or stale (the
# scrape-health tile beside it says which), never a 0.
NO_DATA_LIVE = "no data"
# What a figure of an SLA target says when the loaded policy does not measure that target.
NOT_MEASURED_TEXT = "not measured"


@dataclass(frozen=True)
class Target:
    """One PromQL query of a panel; ``instant`` for single-value panels and tables."""

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False  # Prometheus "table" format (for table panels)


def thresholds(*steps: Step) -> dash.ThresholdsConfig:
    """Absolute thresholds; the first step's value must be None (the base colour)."""
    return (
        dash.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


def higher_is_better(warn_below: float, bad_below: float) -> tuple[Step, ...]:
    """Red under ``bad_below``, orange under ``warn_below``, green from there on."""
    return ((None, BAD), (bad_below, WARN), (warn_below, GOOD))


def lower_is_better(warn_from: float, bad_from: float) -> tuple[Step, ...]:
    """Green under ``warn_from``, orange from there, red from ``bad_from``."""
    return ((None, GOOD), (warn_from, WARN), (bad_from, BAD))


def neutral() -> tuple[Step, ...]:
    """A figure with no good or bad value (volume, backlog): one calm colour."""
    return ((None, NEUTRAL),)


def unknown(text: str) -> dm.SpecialValueMap:
    """Null and NaN read ``text`` in grey: an unknown figure is neither good nor bad (a red
    "no data" reads as a breach, a green one as all clear)."""
    return dm.SpecialValueMap(
        options=dm.DashboardSpecialValueMapOptions(
            match=dm.SpecialValueMatch.NULL_AND_NAN,
            result=dm.ValueMappingResult(text=text, color=NOT_MEASURED),
        )
    )


def _queries(targets: Sequence[Target]) -> list[prometheus.Dataquery]:
    out = []
    for i, t in enumerate(targets):
        q = prometheus.Dataquery().expr(t.expr).ref_id(chr(ord("A") + i)).datasource(PROMETHEUS)
        q = q.legend_format(t.legend or "__auto")
        if t.table:
            q = q.format(pm.PromQueryFormat.TABLE).instant()
        elif t.instant:
            q = q.instant()
        else:
            q = q.range()
        out.append(q)
    return out


def stat_panel(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    steps: Sequence[Step],
    w: int = 4,
    h: int = 5,
    decimals: int | None = None,
    graph: bool = False,
    no_value: str = "no data yet",
    mappings: Sequence[Any] = (),
) -> stat.Panel:
    """A big number (one per target), coloured by ``steps``; no value reads ``no_value`` in
    grey; ``mappings``: value mappings before that one."""
    p = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .thresholds(thresholds(*steps))
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .color_mode(cm.BigValueColorMode.BACKGROUND if not graph else cm.BigValueColorMode.VALUE)
        .graph_mode(cm.BigValueGraphMode.AREA if graph else cm.BigValueGraphMode.NONE)
        .text_mode(
            cm.BigValueTextMode.VALUE_AND_NAME if len(targets) > 1 else cm.BigValueTextMode.AUTO
        )
        .justify_mode(cm.BigValueJustifyMode.AUTO)
        .orientation(cm.VizOrientation.AUTO)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .no_value(no_value)
        .mappings([*mappings, unknown(no_value)])
        .span(w)
        .height(h)
    )
    for q in _queries(targets):
        p = p.with_target(q)
    if decimals is not None:
        p = p.decimals(decimals)
    return p


def timeseries_panel(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    steps: Sequence[Step] | None = None,
    w: int = 12,
    h: int = 8,
    stacked: bool = False,
    min_zero: bool = True,
    max_value: float | None = None,
    bars: bool = False,
) -> timeseries.Panel:
    """Lines over time; with ``steps`` the thresholds are drawn as dashed lines."""
    p = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.PALETTE_CLASSIC))
        .legend(
            common.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.RIGHT if w >= 12 else cm.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
        .tooltip(
            common.VizTooltipOptions()
            .mode(cm.TooltipDisplayMode.MULTI)
            .sort(cm.SortOrder.DESCENDING)
        )
        .line_width(2)
        .fill_opacity(25 if stacked else 8)
        .span_nulls(SPAN_GAPS_MS)
        .span(w)
        .height(h)
    )
    if bars:
        p = p.draw_style(cm.GraphDrawStyle.BARS).fill_opacity(70)
    if stacked:
        p = p.stacking(common.StackingConfig().mode(cm.StackingMode.NORMAL))
    if min_zero:
        p = p.min(0)
    if max_value is not None:
        p = p.max(max_value)
    if steps is not None:
        p = p.thresholds(thresholds(*steps)).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(cm.GraphTresholdsStyleMode.DASHED)
        )
    else:
        p = p.thresholds(thresholds(*neutral()))
    for q in _queries(targets):
        p = p.with_target(q)
    return p


def bars_panel(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    steps: Sequence[Step],
    w: int = 8,
    h: int = 8,
    gradient: bool = False,
    no_value: str = "no data yet",
) -> bargauge.Panel:
    """Horizontal bars, one per series (current values), coloured by ``steps``.

    No series reads ``no_value`` in grey (the null mapping is what Grafana shows then, so it
    carries the words). Grafana drops the name of a lone bar unless the field has a display
    name: a single query's legend becomes one (``{{priority}}`` ->
    ``${__field.labels.priority}``), so one priority or tier still says which it is.
    """
    p = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .min(0)
        .thresholds(thresholds(*steps))
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT if gradient else cm.BarGaugeDisplayMode.BASIC)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .show_unfilled(True)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .no_value(no_value)
        .mappings([unknown(no_value)])
        .span(w)
        .height(h)
    )
    if len(targets) == 1 and "{{" in targets[0].legend:
        p = p.display_name(field_labels(targets[0].legend))
    for q in _queries(targets):
        p = p.with_target(q)
    return p


def field_labels(legend: str) -> str:
    """A legend format as a Grafana display name: ``{{x}}`` -> ``${__field.labels.x}``."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", r"${__field.labels.\1}", legend)


def time_bars_panel(
    title: str,
    description: str,
    target: Target,
    *,
    unit: str,
    steps: Sequence[Step],
    w: int = 6,
    h: int = 7,
    max_value: float | None = None,
    decimals: int | None = None,
) -> barchart.Panel:
    """One bar per point of ``target`` (an instant query answering a range vector, e.g. a
    subquery), labelled by its date, coloured by ``steps``.

    The x axis is the points' own times, not the board's time range: a trend of past weeks
    shows whatever range the board is on (a timeseries panel clips to the range, and its
    relative-time override ignores an absolute range).
    """
    p = (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .min(0)
        .thresholds(thresholds(*steps))
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .show_value(cm.VisibilityMode.AUTO)
        .x_tick_label_rotation(0)
        .x_tick_label_spacing(100)
        .fill_opacity(80)
        .legend(common.VizLegendOptions().show_legend(False))
        .no_value("no complete week in the range")
        .span(w)
        .height(h)
    )
    if max_value is not None:
        p = p.max(max_value)
    if decimals is not None:
        p = p.decimals(decimals)
    for q in _queries([target]):
        p = p.with_target(q)
    return p


# A table header is never cut: each column is at least as wide as its header (Grafana 10's
# header font is ~7 px a character; the rest is the cell padding and the sort arrow).
HEADER_PX_PER_CHAR = 8
HEADER_PADDING_PX = 24
# The key column (team, agent) shows names, not its short header: room for 12 characters
# ("unassigned", "second-line"), or a 79-team table cuts a name to "unassi…"
KEY_CHARS = 12


def header_width(header: str, min_width: int) -> int:
    """Pixels a column needs to show ``header`` whole, and at least ``min_width``."""
    return max(min_width, len(header) * HEADER_PX_PER_CHAR + HEADER_PADDING_PX)


EMPTY_CELL = {
    "type": "special",
    "options": {"match": "null+nan", "result": {"text": "–", "color": NOT_MEASURED}},
}


def table_panel(
    title: str,
    description: str,
    columns: Sequence[tuple[str, Target, str, Sequence[Step]]],
    *,
    key: str,
    w: int = 24,
    h: int = 8,
    decimals: Mapping[str, int] | None = None,
    min_width: int | None = None,
    sort_by: str | None = None,
    descending: bool = False,
) -> table.Panel:
    """A table keyed by the label ``key``: one column per (header, query, unit, steps).

    Each query is an instant query in table format; Grafana joins them on
    ``key`` ("merge"), drops the time column and names each Value column.
    ``decimals``: header -> decimals shown, for the columns that need them; ``min_width``:
    of every column in pixels, widened to fit its header (:func:`header_width`; Grafana's
    default, 150, scrolls a table of many columns);
    ``sort_by``: the header the rows are sorted by (default: the key), ``descending`` so.
    """
    p = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .show_header(True)
        .cell_height(cm.TableCellHeight.SM)
        .thresholds(thresholds(*neutral()))
        .no_value("–")
        .span(w)
        .height(h)
        .sort_by(
            [
                common.TableSortByFieldState()
                .display_name(sort_by or key.capitalize())
                .desc(descending)
            ]
        )
    )
    if min_width is not None:
        p = p.override_by_regexp(
            ".*", [dm.DynamicConfigValue(id_val="custom.minWidth", value=min_width)]
        )
        names = max(min_width, KEY_CHARS * HEADER_PX_PER_CHAR + HEADER_PADDING_PX)
        p = p.override_by_name(
            key.capitalize(), [dm.DynamicConfigValue(id_val="custom.minWidth", value=names)]
        )
    targets = [c[1] for c in columns]
    for q in _queries(targets):
        p = p.with_target(q)
    rename: dict[str, str] = {key: key.capitalize()}
    exclude: dict[str, bool] = {"Time": True}
    for i, (header, _t, unit, steps) in enumerate(columns):
        ref = chr(ord("A") + i)
        rename[f"Value #{ref}"] = header
        p = p.override_by_name(
            header,
            [
                dm.DynamicConfigValue(id_val="unit", value=unit),
                dm.DynamicConfigValue(
                    id_val="thresholds",
                    value={
                        "mode": "absolute",
                        "steps": [{"value": v, "color": c} for v, c in steps],
                    },
                ),
                dm.DynamicConfigValue(
                    id_val="custom.cellOptions",
                    value={"type": "color-text"} if len(steps) > 1 else {"type": "auto"},
                ),
                # an empty cell of a coloured column took the lowest threshold's colour (a red
                # "–" under CSAT where no customer answered): unknown is grey. Per value column
                # only: Grafana's NaN test matches every string, the names of the key column
                dm.DynamicConfigValue(id_val="mappings", value=[EMPTY_CELL]),
            ]
            + (
                [dm.DynamicConfigValue(id_val="decimals", value=decimals[header])]
                if decimals and header in decimals
                else []
            )
            + (
                [
                    dm.DynamicConfigValue(
                        id_val="custom.minWidth", value=header_width(header, min_width)
                    )
                ]
                if min_width is not None
                else []
            ),
        )
    p = p.with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
    p = p.with_transformation(
        dm.DataTransformerConfig(
            id_val="organize",
            options={"excludeByName": exclude, "renameByName": rename, "indexByName": {}},
        )
    )
    return p


def alerts_panel(title: str, description: str, labels: str, *, w: int = 12, h: int = 8) -> Any:
    """Alertmanager's alert groups, filtered by a label matcher such as ``team="x"``."""
    return (
        alertgroups.Panel()
        .title(title)
        .description(description)
        .datasource(ALERTMANAGER)
        .alertmanager(ALERTMANAGER_NAME)  # the panel wants the data source's name
        .labels(labels)
        .expand_all(True)
        .span(w)
        .height(h)
    )


def text_panel(title: str, description: str, markdown: str, *, w: int = 12, h: int = 8) -> Any:
    return (
        text.Panel()
        .title(title)
        .description(description)
        .mode(tm.TextMode.MARKDOWN)
        .content(markdown)
        .span(w)
        .height(h)
    )


def row(title: str) -> dash.Row:
    return dash.Row(title)
