"""The weekly report as one self-contained HTML page (charts inline as SVG, via matplotlib)."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime

from streams.report.figures import WEEK, TeamWeek, WeekReport

# (title, attribute, kind): kind "share" prints a percentage, "count" a whole number
FIGURES = (
    ("Volume (tickets created)", "volume", "count"),
    ("CSAT (share of 4-5)", "csat", "share"),
    ("SLA attainment", "sla", "share"),
    ("First-contact resolution", "fcr", "share"),
)


def value_text(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if kind == "share" else f"{value:,.0f}"


def change_text(this: float | None, before: float | None, kind: str) -> str:
    """``+2.3 pt`` / ``-12`` / ``–`` when either week has no figure."""
    if this is None or before is None:
        return "–"
    if kind == "share":
        return f"{100 * (this - before):+.1f} pt"
    return f"{this - before:+,.0f}"


def _figure(team: TeamWeek | None, attribute: str) -> float | None:
    return None if team is None else getattr(team, attribute)


def chart_svg(report: WeekReport, attribute: str, title: str, kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    teams = sorted(t for t in report.this if t != "all")
    before = [_figure(report.before.get(t), attribute) or 0.0 for t in teams]
    this = [_figure(report.this.get(t), attribute) or 0.0 for t in teams]
    scale = 100.0 if kind == "share" else 1.0
    figure, axes = plt.subplots(figsize=(5.2, 2.6), dpi=96)
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
    axes.legend(fontsize=8, loc="lower right")
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
    total_this, total_before = report.this.get("all"), report.before.get("all")
    headline = "".join(
        f"<div class='tile'><div class='name'>{html.escape(title)}</div>"
        f"<div class='value' data-figure='{attr}'>{value_text(_figure(total_this, attr), kind)}"
        f"</div><div class='change' data-change='{attr}'>"
        f"{change_text(_figure(total_this, attr), _figure(total_before, attr), kind)}"
        f" vs week before</div></div>"
        for title, attr, kind in FIGURES
    )
    rows = []
    for team in sorted(t for t in report.this if t != "all"):
        this, before = report.this.get(team), report.before.get(team)
        cells = "".join(
            f"<td data-team='{html.escape(team)}' data-figure='{attr}'>"
            f"{value_text(_figure(this, attr), kind)}</td>"
            f"<td class='before'>{value_text(_figure(before, attr), kind)}</td>"
            f"<td class='delta' data-team='{html.escape(team)}' data-change='{attr}'>"
            f"{change_text(_figure(this, attr), _figure(before, attr), kind)}</td>"
            for _, attr, kind in FIGURES
        )
        surveys = f"{this.surveys:,.0f}" if this is not None else "–"
        rows.append(f"<tr><th>{html.escape(team)}</th>{cells}<td>{surveys}</td></tr>")
    heads = "".join(
        f"<th colspan='3'>{html.escape(title)}<br><small>week · before · change</small></th>"
        for title, _, _ in FIGURES
    )
    charts = "".join(
        f"<figure>{chart_svg(report, attr, title, kind)}</figure>" for title, attr, kind in FIGURES
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
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
</style></head><body>
<h1>Service report — week {report.week}</h1>
<p>{start:%a %d %b %Y} to {end:%a %d %b %Y} (UTC), compared with the week before.
Source: {html.escape(source)}.</p>
<div class="tiles">{headline}</div>
<h2>Per team</h2>
<table><tr><th>team</th>{heads}<th>CSAT answers</th></tr>{"".join(rows)}</table>
<h2>Charts</h2>
{charts}
<p><small>CSAT = share of CSAT answers scoring 4 or 5; SLA attainment = met / (met + breached)
over every target; first-contact resolution = resolutions with at most one public reply, no
transfer and no reopen / resolutions. Counts are the week's increase of the Prometheus
counters.</small></p>
</body></html>
"""
