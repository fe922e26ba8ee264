"""docs/dashboards.md's "The boards, panel by panel", written from the boards themselves.

``servicepulse generate`` puts it between the ``panels`` markers of docs/dashboards.md,
so that the description of every panel is the one Grafana shows.
"""

from __future__ import annotations

from typing import Any

KINDS = {
    "stat": "stat",
    "timeseries": "time series",
    "bargauge": "bars",
    "table": "table",
    "text": "text",
    "alertGroups": "Alertmanager alert groups",
}


def _panel_line(p: dict[str, Any]) -> str:
    kind = KINDS.get(p["type"], p["type"])
    unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
    what = f"{kind}, unit {unit}" if unit and p["type"] not in ("table", "text") else kind
    return f"- **{p['title']}** ({what}): {p.get('description', '')}"


def board_markdown(name: str, board: dict[str, Any]) -> str:
    facts = [f"`dashboards/json/{name}`", f"uid `{board['uid']}`", f"refresh {board['refresh']}"]
    facts.append(f"default range {board['time']['from']} to {board['time']['to']}")
    variables = [v["name"] for v in board.get("templating", {}).get("list", [])]
    if variables:
        facts.append(" ".join(f"variable `{v}`" for v in variables))
    lines = [f"### {board['title'].split(' — ', 1)[-1]}", "", " · ".join(facts), ""]
    for panel in board.get("panels", []):
        if panel["type"] == "row":
            lines += ["", f"**{panel['title']}**", ""]
            lines += [_panel_line(p) for p in panel.get("panels", [])]
        else:
            lines.append(_panel_line(panel))
    return "\n".join(lines).rstrip() + "\n"


def markdown(boards: dict[str, dict[str, Any]]) -> str:
    return "\n".join(board_markdown(name, board) for name, board in boards.items())


def directions() -> str:
    """The executive board's table of figures and the direction that is better."""
    from dashboards.boards.executive_weekly.figures import (
        FIGURES,
        POINTS,
        Better,
        complaints_in_time,
    )

    better = {
        Better.HIGHER: "higher ▲ green, ▼ red",
        Better.LOWER: "lower ▼ green, ▲ red",
        Better.NEITHER: "neither (blue)",
    }
    lines = ["| tile | better | change shown in |", "|---|---|---|"]
    for f in [*FIGURES.values(), complaints_in_time(0.0)]:
        unit = f.change_unit or f.unit
        shown = {POINTS: "points (pts)", "s": "time", "none": "count / score"}.get(unit, unit)
        if f.change_scale == 100:
            shown = "percentage points (pts)"
        lines.append(f"| {f.title} | {better[f.better]} | {shown} |")
    return "\n".join(lines) + "\n"
