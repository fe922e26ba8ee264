"""The weekly report as one self-contained HTML page (charts inline as SVG, via matplotlib)."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from streams.report.figures import WEEK, TeamWeek, WeekReport

# (title, attribute, kind, better): kind "share" prints a percentage, "count" a whole number;
# better is the direction of an improvement ("higher", "lower"), "" when neither is (volume)
FIGURES = (
    ("Volume (tickets created)", "volume", "count", ""),
    ("CSAT (share of 4-5)", "csat", "share", "higher"),
    ("SLA attainment", "sla", "share", "higher"),
    ("First-contact resolution", "fcr", "share", "higher"),
)
UP, DOWN, SAME = "\u25b2", "\u25bc", "="  # ▲ ▼ =


@dataclass(frozen=True)
class Change:
    """The change from the week before as shown: text, arrow, and whether it is good news."""

    text: str  # "+2.3 pt", "-12", "0.0 pt", "–" (either week without a figure)
    arrow: str  # UP, DOWN, SAME, "" without a figure
    tone: str  # "better", "worse", "neutral" (no change, no direction, or no figure)

    @property
    def label(self) -> str:
        return f"{self.arrow} {self.text}" if self.arrow else self.text


def value_text(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if kind == "share" else f"{value:,.0f}"


def change_of(this: float | None, before: float | None, kind: str, better: str) -> Change:
    """The difference as printed (points for a share); its direction judged on the printed
    figure, so a change that rounds to zero is no change."""
    if this is None or before is None:
        return Change("–", "", "neutral")
    delta = round(100 * (this - before), 1) if kind == "share" else float(round(this - before))
    unit = " pt" if kind == "share" else ""
    if delta == 0:
        return Change(("0.0" if kind == "share" else "0") + unit, SAME, "neutral")
    text = f"{delta:+.1f}{unit}" if kind == "share" else f"{delta:+,.0f}"
    arrow = UP if delta > 0 else DOWN
    if not better:
        return Change(text, arrow, "neutral")
    return Change(text, arrow, "better" if (delta > 0) == (better == "higher") else "worse")


def change_html(tag: str, css: str, team: str, attr: str, change: Change, after: str = "") -> str:
    """The change as an element whose class and ``data-tone`` say better / worse / neutral."""
    who = f" data-team='{html.escape(team)}'" if team else ""
    return (
        f"<{tag} class='{css} {change.tone}'{who} data-change='{attr}' data-tone='{change.tone}'>"
        f"{change.label}{after}</{tag}>"
    )


def _figure(team: TeamWeek | None, attribute: str) -> float | None:
    return None if team is None else getattr(team, attribute)


def chart_svg(report: WeekReport, attribute: str, title: str, kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    # a team's name is text, never TeX: "$" in a label must not start mathtext
    with matplotlib.rc_context({"text.parse_math": False}):
        return _chart_svg(report, attribute, title, kind)


def _chart_svg(report: WeekReport, attribute: str, title: str, kind: str) -> str:
    from matplotlib import pyplot as plt

    teams = sorted(report.this)
    before = [_figure(report.before.get(t), attribute) or 0.0 for t in teams]
    this = [_figure(report.this.get(t), attribute) or 0.0 for t in teams]
    scale = 100.0 if kind == "share" else 1.0
    figure, axes = plt.subplots(figsize=(6.0, 2.6), dpi=96)
    positions = range(len(teams))
    axes.bar([p - 0.2 for p in positions], [v * scale for v in before], 0.4, label="week before",
             color="#b0b7c3")  # fmt: skip
    axes.bar([p + 0.2 for p in positions], [v * scale for v in this], 0.4, label=report.week,
             color="#2f6fb0")  # fmt: skip
    axes.set_xticks(list(positions), teams)
    axes.set_title(title, fontsize=10)
    if kind == "share":
        axes.set_ylim(0, 100)
        axes.set_ylabel("%")
    # beside the bars, not over them (shares reach the top of the 0-100 scale)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def render_html(report: WeekReport, source: str) -> str:
    start = datetime.fromtimestamp(report.start, UTC)
    end = datetime.fromtimestamp(report.start + WEEK - 1, UTC)
    total_this, total_before = report.this_total, report.before_total
    tiles = []
    for title, attr, kind, better in FIGURES:
        now, then = _figure(total_this, attr), _figure(total_before, attr)
        change = change_of(now, then, kind, better)
        tiles.append(
            f"<div class='tile'><div class='name'>{html.escape(title)}</div>"
            f"<div class='value' data-figure='{attr}'>{value_text(now, kind)}</div>"
            f"{change_html('div', 'change', '', attr, change, ' vs week before')}</div>"
        )
    headline = "".join(tiles)
    rows = []
    for team in sorted(report.this):
        this, before = report.this.get(team), report.before.get(team)
        cells = "".join(
            f"<td data-team='{html.escape(team)}' data-figure='{attr}'>"
            f"{value_text(_figure(this, attr), kind)}</td>"
            f"<td class='before'>{value_text(_figure(before, attr), kind)}</td>"
            + change_html(
                "td",
                "delta",
                team,
                attr,
                change_of(_figure(this, attr), _figure(before, attr), kind, better),
            )
            for _, attr, kind, better in FIGURES
        )
        surveys = f"{this.surveys:,.0f}" if this is not None else "–"
        rows.append(f"<tr><th>{html.escape(team)}</th>{cells}<td>{surveys}</td></tr>")
    heads = "".join(
        f"<th colspan='3'>{html.escape(title)}<br><small>week · before · change</small></th>"
        for title, *_ in FIGURES
    )
    charts = "".join(
        f"<figure>{chart_svg(report, attr, title, kind)}</figure>"
        for title, attr, kind, _ in FIGURES
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ServicePulse weekly report {report.week}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1d2330; }}
.tiles {{ display: flex; gap: 1em; flex-wrap: wrap; }}
.tile {{ border: 1px solid #d5dae3; border-radius: 6px; padding: .8em 1.2em; min-width: 12em; }}
.tile .value {{ font-size: 2em; font-weight: 600; }}
.tile .name, .change, small {{ color: #5b6475; }}
table {{ border-collapse: collapse; margin: 1.5em 0; }}
td, th {{ border-bottom: 1px solid #e3e7ee; padding: .3em .6em; text-align: right; }}
td.before {{ color: #8a93a5; }}
.better {{ color: #1a7f37; }}
.worse {{ color: #c0392b; }}
td.neutral, .tile .neutral {{ color: #5b6475; }}
.charts {{ display: flex; flex-wrap: wrap; }}
figure {{ margin: 0 1em 1em 0; }}
td.delta, .tile .change {{ white-space: nowrap; }}
@page {{ size: A4 landscape; margin: 12mm; }}
@media print {{
  body {{ margin: 0; font-size: 11px; }}
  figure {{ width: 48%; margin: 0 1% .5em 0; }}
  figure svg {{ width: 100%; height: auto; }}
}}
</style></head><body>
<h1>Service report — week {report.week}</h1>
<p>{start:%a %d %b %Y} to {end:%a %d %b %Y} (UTC), compared with the week before.
Source: {html.escape(source)}.</p>
<div class="tiles">{headline}</div>
<h2>Per team</h2>
<table><tr><th>team</th>{heads}<th>CSAT answers</th></tr>{"".join(rows)}</table>
<h2>Charts</h2>
<div class="charts">{charts}</div>
<p><small>Changes: {UP} up, {DOWN} down, in green when better (higher CSAT, SLA attainment
and first-contact resolution), red when worse, grey for volume, which is neither.
CSAT = share of CSAT answers scoring 4 or 5; SLA attainment = met / (met + breached)
over every target; first-contact resolution = resolutions with at most one public reply, no
transfer and no reopen / resolutions. Counts are the week's increase of the Prometheus
counters.</small></p>
</body></html>
"""
