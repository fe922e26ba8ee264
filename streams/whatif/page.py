"""A comparison as one self-contained HTML page, in the weekly report's style.

Tiles give each policy's attainment over every target with its change from the first policy
(▲/▼ in points, green when better, red when worse, as the report shows a week's change); a
per-team table gives attainment per target under each policy and the tickets flipped; a last
table lists the flipped (ticket, target, cycle) rows. Pure: returns the page as a string.

The report (streams/report/render.py) keeps its CSS inside its page template, so the few rules
used here repeat its colours and spacing rather than import them.
"""

from __future__ import annotations

import html

from streams.report.render import Change, change_of
from streams.whatif.compare import NONE, Comparison, Line, Tally
from streams.whatif.tables import EVERY_TEAM, attainment_text

MAX_FLIP_ROWS = 1000  # rows of the flipped-ticket table; the CSV has them all

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1d2330; }
.tiles { display: flex; gap: 1em; flex-wrap: wrap; }
.tile { border: 1px solid #d5dae3; border-radius: 6px; padding: .8em 1.2em; min-width: 12em; }
.tile .value { font-size: 2em; font-weight: 600; }
.tile .name, .change, small { color: #5b6475; }
table { border-collapse: collapse; margin: 1.5em 0; }
td, th { border-bottom: 1px solid #e3e7ee; padding: .3em .6em; text-align: right; }
th:first-child, .text { text-align: left; }
tr.overall th, tr.overall td { border-top: 2px solid #b0b7c3; font-weight: 600; }
.better, td.met { color: #1a7f37; }
.worse, td.breached { color: #c0392b; }
.neutral, td.none { color: #5b6475; }
.change, td.delta { white-space: nowrap; }
"""


def render_page(comparison: Comparison, history: str) -> str:
    names = comparison.policies
    first = html.escape(names[0])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ServicePulse what-if: {html.escape(history)}</title>
<style>{STYLE}</style></head><body>
<h1>What-if on history</h1>
<p>The history {html.escape(history)} replayed under {len(names)} SLA policy files, each
compared with the first, <b>{first}</b>.</p>
<div class="tiles">{_tiles(comparison)}</div>
<h2>Per team and target</h2>
{_team_table(comparison)}
<h2>Tickets whose outcome changes ({len(comparison.flips):,})</h2>
{_flip_table(comparison)}
<p><small>SLA attainment = met / (met + breached), with met/measured in brackets. Changes
are in points against {first}: ▲ up, ▼ down, green when better, red when worse. An outcome
is met, breached or none (the target is not measured under that policy, or its clock stopped
with no outcome, or its deadline had not passed when the history ended). Late or early: SLA-clock
time past the target, or left before it, when the clock stopped; not known for a breach whose
clock was still running when the history ended.</small></p>
</body></html>
"""


def _every_target(comparison: Comparison, policy: int) -> Tally:
    tallies = [line.tallies[policy] for line in comparison.overall]
    return Tally(sum(t.met for t in tallies), sum(t.breached for t in tallies))


def _change(baseline: Tally, tally: Tally) -> Change:
    """Attainment under a policy against the first policy's, as the report shows a change."""
    return change_of(tally.attainment, baseline.attainment, "share", "higher")


def _tiles(comparison: Comparison) -> str:
    baseline = _every_target(comparison, 0)
    tiles = []
    for i, name in enumerate(comparison.policies):
        tally = _every_target(comparison, i)
        value = attainment_text(tally).split(" ")[0]
        if i == 0:
            below = "<div class='change neutral'>the baseline</div>"
        else:
            change = _change(baseline, tally)
            flipped = len({f.ticket_id for f in comparison.flips if f.outcomes[i] != f.outcomes[0]})
            below = (
                f"<div class='change {change.tone}' data-tone='{change.tone}'>{change.label}"
                f" vs {html.escape(comparison.policies[0])}</div>"
                f"<div class='change'>{flipped:,} tickets flip</div>"
            )
        tiles.append(
            f"<div class='tile' data-policy='{html.escape(name)}'><div class='name'>"
            f"{html.escape(name)}: SLA attainment, every target</div>"
            f"<div class='value'>{value}</div>"
            f"<small>{tally.met:,} met of {tally.measured:,}</small>{below}</div>"
        )
    return "".join(tiles)


def _team_table(comparison: Comparison) -> str:
    names = comparison.policies
    heads = "".join(f"<th>{html.escape(name)}</th>" for name in names[:1])
    heads += "".join(
        f"<th colspan='2'>{html.escape(name)}</th><th>flipped</th>" for name in names[1:]
    )
    rows = [_team_row(line.team, line, "") for line in comparison.lines]
    rows += [_team_row(EVERY_TEAM, line, " class='overall'") for line in comparison.overall]
    return (
        f"<table><tr><th>team</th><th class='text'>target</th>{heads}</tr>{''.join(rows)}</table>"
    )


def _team_row(team: str, line: Line, css: str) -> str:
    baseline = line.tallies[0]
    cells = f"<td>{attainment_text(baseline)}</td>"
    for tally, flipped in zip(line.tallies[1:], line.flipped[1:], strict=True):
        change = _change(baseline, tally)
        cells += (
            f"<td>{attainment_text(tally)}</td>"
            f"<td class='delta {change.tone}' data-tone='{change.tone}'>{change.label}</td>"
            f"<td data-flipped='{flipped}'>{flipped:,}</td>"
        )
    return f"<tr{css}><th>{html.escape(team)}</th><td class='text'>{line.target}</td>{cells}</tr>"


def _flip_table(comparison: Comparison) -> str:
    if not comparison.flips:
        return "<p>None: every outcome is the same under every policy.</p>"
    names = comparison.policies
    heads = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    rows = []
    for flip in comparison.flips[:MAX_FLIP_ROWS]:
        cells = "".join(
            f"<td class='{outcome}'>{outcome}{_late(outcome, late)}</td>"
            for outcome, late in zip(flip.outcomes, flip.late, strict=True)
        )
        rows.append(
            f"<tr><td class='text'>{html.escape(flip.ticket_id)}</td>"
            f"<td class='text'>{flip.target}</td><td>{flip.cycle}</td>"
            f"<td class='text'>{html.escape(flip.team)}</td>{cells}</tr>"
        )
    more = len(comparison.flips) - MAX_FLIP_ROWS
    note = f"<p><small>and {more:,} more: see the CSV file.</small></p>" if more > 0 else ""
    return (
        f"<table><tr><th>ticket</th><th class='text'>target</th><th>cycle</th>"
        f"<th class='text'>team</th>{heads}</tr>"
        f"{''.join(rows)}</table>{note}"
    )


def _late(outcome: str, late: float | None) -> str:
    """`` (1h05m late)``, `` (20m early)``, `` (late: not known)``; nothing without an outcome."""
    if outcome == NONE:
        return ""
    if late is None:
        return " <small>(late: not known)</small>"
    if round(late) == 0:
        return " <small>(on time)</small>"
    seconds = round(abs(late))
    hours, minutes = divmod(seconds // 60, 60)
    text = f"{hours}h{minutes:02d}m" if hours else f"{minutes}m" if minutes else f"{seconds}s"
    return f" <small>({text} {'late' if late > 0 else 'early'})</small>"
