"""The weekly report as email-safe HTML (tables and inline styles only, charts as PNG images
given by ``src``: ``cid:`` in the mail, ``data:`` in the file) and as a plain-text summary.

What a reader sees, in order: a one-line summary, the partial-week warnings, the headline
figures of every team together, the five worst teams, the 12-week trend, and one row per
team sorted by volume (the top :data:`TOP_N`, then "all others"). Each figure is coloured
against its objective (green met, amber short of it, red beyond its floor; the policy's
``objectives`` for SLA attainment of a target, the boards' objectives otherwise), never by
its change alone; below :data:`MIN_SAMPLE` it is grey and has no arrow. A figure without
data is "—", never 0.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from streams.core.policy import Objectives as PolicyObjectives
from streams.ledger.output import ticket_url
from streams.monitoring.config import CONFIG, SERVICE_LEVEL_SECONDS
from streams.monitoring.config import Objectives as BoardObjectives
from streams.report.figures import (
    MIN_SAMPLE,
    TARGETS,
    WEEK,
    Quantile,
    TeamWeek,
    WeekReport,
    total_of,
)
from streams.report.tickets import DETRACTOR_MAX, LedgerWeek, TeamTickets

TOP_N = 15  # team rows before "all others"
WORST_N = 5  # the worst teams listed at the top
UP, DOWN, SAME = "\u25b2", "\u25bc", "="  # ▲ ▼ =
MISSING = "\u2014"  # — : no data (never 0)
OTHERS = "all others"
NAMED_MAX = 40  # teams named under the table; beyond, "and N more": the page does not grow

GREEN, AMBER, RED, GREY, INK = "#1a7f37", "#9a6700", "#c0392b", "#6e7781", "#1d2330"
TONE_COLOUR = {"good": GREEN, "warn": AMBER, "bad": RED, "few": GREY, "none": INK}
CHANGE_COLOUR = {"better": GREEN, "worse": RED, "neutral": GREY}
TARGET_TITLE = {
    "first_response": "First response",
    "next_reply": "Next reply",
    "resolution": "Resolution",
}

Value = float | Quantile | None


@dataclass(frozen=True)
class Figure:
    key: str  # data-figure
    title: str
    kind: str  # "count", "share", "seconds"
    better: str  # "higher", "lower", "" (neither)
    value: Callable[[TeamWeek], Value]
    sample: Callable[[TeamWeek], float] | None = None  # its sample; None: a count, no sample
    objective: str = ""  # the objective it is judged against (see Judge.goal)


def _figures(targets: tuple[str, ...]) -> tuple[Figure, ...]:
    """Every figure of a team row; per-target attainment for the targets that were judged."""
    per_target = tuple(
        Figure(
            f"met:{t}",
            f"{TARGET_TITLE[t]} met",
            "share",
            "higher",
            lambda w, t=t: w.attainment(t),  # type: ignore[misc]
            lambda w, t=t: w.clocks_of(t),  # type: ignore[misc]
            f"target:{t}",
        )
        for t in targets
    )
    return (
        Figure("volume", "Contacts", "count", "", lambda w: w.volume),
        Figure(
            "abandonment",
            "Abandoned",
            "share",
            "lower",
            lambda w: w.abandonment,
            lambda w: w.live,
            "abandonment",
        ),
        Figure(
            "service_level",
            "Service level",
            "share",
            "higher",
            lambda w: w.service_level,
            lambda w: w.offered,
            "service_level",
        ),
        Figure(
            "asa", "ASA", "seconds", "lower", lambda w: w.asa, lambda w: w.count("asa_count"), "asa"
        ),
        Figure(
            "fr_p50",
            "First response median",
            "seconds",
            "lower",
            lambda w: w.quantile("first_response", 0.5),
            lambda w: w.responses,
        ),
        Figure(
            "fr_p90",
            "First response p90",
            "seconds",
            "lower",
            lambda w: w.quantile("first_response", 0.9),
            lambda w: w.responses,
        ),
        Figure(
            "res_p50",
            "Resolution median",
            "seconds",
            "lower",
            lambda w: w.quantile("resolution", 0.5),
            _resolutions,
        ),
        Figure(
            "res_p90",
            "Resolution p90",
            "seconds",
            "lower",
            lambda w: w.quantile("resolution", 0.9),
            _resolutions,
        ),
        Figure(
            "sla", "SLA attainment", "share", "higher", lambda w: w.sla, lambda w: w.clocks, "sla"
        ),
        *per_target,
        Figure("breaches", "Breaches", "count", "lower", lambda w: w.breaches),
        Figure("backlog", "Backlog at week end", "count", "lower", lambda w: w.backlog),
        Figure("handoffs", "Hand-offs", "count", "", lambda w: w.handoffs),
        Figure(
            "reopen_rate",
            "Reopen rate",
            "share",
            "lower",
            lambda w: w.reopen_rate,
            lambda w: w.count("resolved"),
            "reopen",
        ),
        Figure("csat", "CSAT", "share", "higher", lambda w: w.csat, lambda w: w.surveys, "csat"),
        Figure(
            "fcr",
            "First-contact resolution",
            "share",
            "higher",
            lambda w: w.fcr,
            lambda w: w.count("resolved"),
            "fcr",
        ),
    )


def _resolutions(week: TeamWeek) -> float:
    buckets = week.buckets.get("resolution", {})
    return max(buckets.values()) if buckets else 0.0


HEADLINE = ("volume", "abandonment", "service_level", "asa", "fr_p90", "res_p90", "sla",
            "breaches", "backlog", "csat")  # fmt: skip


def judged_targets(report: WeekReport) -> tuple[str, ...]:
    """The targets with SLA clocks judged this week or the week before, in contract order."""
    weeks = [w for w in (report.this_total, report.before_total) if w is not None]
    return tuple(t for t in TARGETS if any(w.clocks_of(t) > 0 for w in weeks))


def figure_map(report: WeekReport) -> dict[str, Figure]:
    """The report's figures by key."""
    return {f.key: f for f in _figures(judged_targets(report))}


# ---- objectives -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Judge:
    """The objectives a figure is coloured against: the SLA policy's ``objectives`` (share
    met per target, per team) and the boards' objectives (streams/monitoring/config.py)."""

    policy: PolicyObjectives | None = None
    board: BoardObjectives = CONFIG.objectives

    def goal(self, objective: str, team: str | None) -> tuple[float, float] | None:
        """(goal, floor) — for a lower-is-better figure (good up to, bad above) — or None."""
        b = self.board
        if objective.startswith("target:"):
            target = objective[7:]
            share = self._policy_share(team).get(target)
            return (share, share) if share is not None else None
        if objective == "sla":
            shares = self._policy_share(team)
            if shares:  # every target judged against its objective: the strictest is the bar
                return (max(shares.values()), max(shares.values()))
            return (b.attainment_objective, b.attainment_floor)
        return {
            "abandonment": (b.abandon_warn, b.abandon_bad),
            "service_level": (b.service_level_goal, b.service_level_floor),
            "asa": (b.asa_warn, b.asa_bad),
            "reopen": (b.reopen_warn, b.reopen_bad),
            "csat": (b.csat_goal, b.csat_floor),
            "fcr": (b.fcr_goal, b.fcr_floor),
        }.get(objective)

    def _policy_share(self, team: str | None) -> dict[str, float]:
        if self.policy is None:
            return {}
        return self.policy.of(team) if team is not None else dict(self.policy.targets)

    def tone(self, figure: Figure, week: TeamWeek | None, team: str | None) -> str:
        """good / warn / bad against the objective; few below MIN_SAMPLE; none without one."""
        value = number_of(_value(figure, week))
        if value is None or week is None:
            return "none"
        if figure.sample is not None and figure.sample(week) < MIN_SAMPLE:
            return "few"
        goal = self.goal(figure.objective, team) if figure.objective else None
        if goal is None:
            return "none"
        good, floor = goal
        if figure.better == "higher":
            return "good" if value >= good - 1e-12 else "warn" if value >= floor - 1e-12 else "bad"
        return "good" if value <= good + 1e-12 else "warn" if value <= floor + 1e-12 else "bad"

    def goal_text(self, figure: Figure, team: str | None) -> str:
        goal = self.goal(figure.objective, team) if figure.objective else None
        if goal is None:
            return ""
        sign = "\u2265" if figure.better == "higher" else "\u2264"  # ≥ ≤
        return f"objective {sign} {plain(goal[0], figure.kind)}"


# ---- values and changes ---------------------------------------------------------------------


def _value(figure: Figure, week: TeamWeek | None) -> Value:
    return None if week is None else figure.value(week)


def _raw(value: Value) -> str:
    """The figure in ``data-value`` (10 significant digits), "" without one."""
    number = number_of(value)
    return "" if number is None else f"{float(number):.10g}"


def number_of(value: Value) -> float | None:
    if isinstance(value, Quantile):
        return value.value
    return value


def duration(seconds: float) -> str:
    """12 s, 4.2 min, 3.5 h, 2.1 d."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def plain(value: float, kind: str) -> str:
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "seconds":
        return duration(value)
    return f"{value:,.0f}"


def value_text(value: Value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, Quantile):
        return (">" if value.beyond else "") + plain(value.value, kind)
    return plain(value, kind)


@dataclass(frozen=True)
class Change:
    """The change from the week before as shown: text, arrow, and whether it is good news."""

    text: str  # "+2.3 pt", "-12", "0.0 pt", "—" (either week without a figure or sample)
    arrow: str  # UP, DOWN, SAME, "" without a figure
    tone: str  # "better", "worse", "neutral" (no change, no direction, or no figure)

    @property
    def label(self) -> str:
        return f"{self.arrow} {self.text}" if self.arrow else self.text


NO_CHANGE = Change(MISSING, "", "neutral")


def change_of(this: Value, before: Value, kind: str, better: str) -> Change:
    """The difference as printed (points for a share); its direction judged on the printed
    figure, so a change that rounds to zero is no change. A quantile beyond the top bucket
    edge has no difference."""
    if any(isinstance(v, Quantile) and v.beyond for v in (this, before)):
        return NO_CHANGE
    now, then = number_of(this), number_of(before)
    if now is None or then is None:
        return NO_CHANGE
    if kind == "seconds":
        return _time_change(now, then, better)
    delta = round(100 * (now - then), 1) if kind == "share" else float(round(now - then))
    unit = " pt" if kind == "share" else ""
    if delta == 0:
        return Change(("0.0" if kind == "share" else "0") + unit, SAME, "neutral")
    text = f"{delta:+.1f}{unit}" if kind == "share" else f"{delta:+,.0f}"
    return _directed(text, delta, better)


def _time_change(now: float, then: float, better: str) -> Change:
    """A time's change in its own unit, judged as printed (4.2 min to 4.2 min is no change)."""
    if duration(now) == duration(then):
        return Change("0", SAME, "neutral")
    delta = now - then
    return _directed(("+" if delta > 0 else "-") + duration(abs(delta)), delta, better)


def _directed(text: str, delta: float, better: str) -> Change:
    arrow = UP if delta > 0 else DOWN
    if not better:
        return Change(text, arrow, "neutral")
    return Change(text, arrow, "better" if (delta > 0) == (better == "higher") else "worse")


def figure_change(figure: Figure, this: TeamWeek | None, before: TeamWeek | None) -> Change:
    """The change, or none when either week's sample is below MIN_SAMPLE."""
    if figure.sample is not None:
        for week in (this, before):
            if week is None or figure.sample(week) < MIN_SAMPLE:
                return NO_CHANGE
    return change_of(_value(figure, this), _value(figure, before), figure.kind, figure.better)


# ---- rows -----------------------------------------------------------------------------------


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """g2 before g19: digits compare as numbers, the rest case-insensitively."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in re.split(r"(\d+)", name)
        if part
    )


@dataclass(frozen=True)
class Row:
    name: str  # the team, or "all others (N teams)"
    team: str | None  # None for the "all others" row
    this: TeamWeek | None
    before: TeamWeek | None
    members: tuple[str, ...] = ()  # the teams folded into "all others"


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    idle: tuple[str, ...]  # teams with nothing counted and nothing open: folded
    folded: tuple[str, ...]  # active teams beyond TOP_N: folded


def team_rows(report: WeekReport, top: int = TOP_N) -> Table:
    """Teams by this week's volume (then name, naturally); idle teams and those beyond
    ``top`` folded into one "all others" row (counts summed, ratios of the sums)."""
    names = sorted(report.this, key=natural_key)
    idle = tuple(n for n in names if report.this[n].idle)
    active = sorted((n for n in names if n not in idle), key=lambda n: -report.this[n].volume)
    shown, folded = active[:top], tuple(sorted(active[top:], key=natural_key))
    rows = [Row(n, n, report.this[n], report.before.get(n)) for n in shown]
    members = (*folded, *idle)
    if members:
        before = [report.before[n] for n in members if n in report.before]
        count = len(members)
        rows.append(
            Row(
                f"{OTHERS} ({count} team{'s' if count != 1 else ''})",
                None,
                total_of(report.this[n] for n in members),
                total_of(before) if before else None,
                members,
            )
        )
    return Table(tuple(rows), idle, folded)


def named(teams: tuple[str, ...] | list[str], most: int = NAMED_MAX) -> str:
    """The teams' names, the first ``most`` of them and "and N more" for the rest."""
    if len(teams) <= most:
        return ", ".join(teams)
    return ", ".join(teams[:most]) + f" and {len(teams) - most} more"


def worst_teams(report: WeekReport, n: int = WORST_N) -> list[str]:
    """The teams with the lowest SLA attainment among those with MIN_SAMPLE judged clocks;
    ties by more breaches, then by name."""
    judged = [t for t, w in report.this.items() if w.clocks >= MIN_SAMPLE and w.sla is not None]
    judged.sort(key=lambda t: (report.this[t].sla, -report.this[t].breaches, natural_key(t)))
    return judged[:n]


# ---- summary --------------------------------------------------------------------------------


def partial_notes(report: WeekReport) -> list[str]:
    notes = []
    for which, cover in (
        ("This week", report.coverage),
        ("The week before", report.before_coverage),
    ):
        if cover is not None and cover.partial:
            notes.append(
                f"{which} is partial: {cover.describe()}; its figures are not a full week's."
            )
    return notes


def summary_line(report: WeekReport, judge: Judge) -> str:
    """One line: the week, its volume and change, attainment against its objective,
    abandonment, service level, backlog, breaches and the worst team."""
    figures = {f.key: f for f in _figures(())}
    total, before = report.this_total, report.before_total
    if total is None:
        return f"Week {report.week}: no ServicePulse data."
    parts = [f"{total.volume:,.0f} contacts"]
    volume = figure_change(figures["volume"], total, before)
    partial_before = report.before_coverage is not None and report.before_coverage.partial
    of_before = "the week before, a partial week" if partial_before else "the week before"
    if volume.arrow == SAME:
        parts[0] += f" (as many as {of_before})"
    elif volume.arrow:
        parts[0] += f" ({volume.text} on {of_before})"
    sla = figures["sla"]
    if total.sla is not None:
        goal = judge.goal_text(sla, None)
        parts.append(
            f"SLA attainment {value_text(total.sla, 'share')}" + (f" ({goal})" if goal else "")
        )
    for key, words in (("abandonment", "abandoned"), ("service_level", "service level")):
        value = _value(figures[key], total)
        if value is not None:
            text = value_text(value, "share")
            parts.append(f"{text} {words}" if key == "abandonment" else f"{words} {text}")
    if total.backlog is not None:
        parts.append(f"backlog {total.backlog:,.0f} at week end")
    parts.append(f"{total.breaches:,.0f} breaches")
    worst = worst_teams(report, 1)
    if worst:
        sla_of = report.this[worst[0]].sla
        parts.append(f"lowest attainment: {worst[0]} {value_text(sla_of, 'share')}")
    partial = " (partial week)" if report.coverage is not None and report.coverage.partial else ""
    return f"Week {report.week}{partial}: " + ", ".join(parts) + "."


# ---- HTML -----------------------------------------------------------------------------------

FONT = "font-family:Arial,Helvetica,sans-serif;"
# the look of every cell is in the page's <style> (every current mail client reads it); only
# what carries meaning — a figure's colour — is inline on the cell, where no client drops it
SMALL = "font-size:11px;color:#6e7781;"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _change_span(team: str | None, figure: Figure, change: Change) -> str:
    who = f" data-team='{_e(team)}'" if team is not None else ""
    colour = CHANGE_COLOUR[change.tone]
    return (
        f"<span style='color:{colour}'{who} "
        f"data-change='{figure.key}' data-tone='{change.tone}'>{change.label}</span>"
    )


def _cell(judge: Judge, figure: Figure, row: Row) -> str:
    return _pair_cell(judge, (figure,), row)


def _pair_cell(judge: Judge, figures: tuple[Figure, ...], row: Row) -> str:
    """One cell: each figure's value (a median and its p90 side by side: ``4.2 min / 1.5 h``)
    in its objective's colour, then in small grey the sample and the last one's change."""
    who = f"data-team='{_e(row.team)}'" if row.team is not None else "data-group='others'"
    values = []
    for figure in figures:
        this = _value(figure, row.this)
        tone = judge.tone(figure, row.this, row.team)
        weight = "font-weight:bold;" if tone in ("good", "warn", "bad") else ""
        style = f"style='color:{TONE_COLOUR[tone]};{weight}' " if tone != "none" else ""
        values.append(
            (
                f"{style}class='{tone}' data-value='{_raw(this)}' {who} data-figure='{figure.key}'",
                value_text(this, figure.kind),
            )
        )
    last = figures[-1]
    notes = []
    if last.sample is not None and row.this is not None and _value(last, row.this) is not None:
        notes.append(f"n={last.sample(row.this):,.0f}")
    change = figure_change(last, row.this, row.before)
    if change.arrow:
        notes.append(_change_span(row.team, last, change))
    small = "<br>".join(notes)  # one per line: narrow columns
    tail = f"<br><small>{small}</small>" if small else ""
    if len(values) == 1:
        ((attributes, text),) = values
        return f"<td {attributes}>{text}{tail}</td>"
    inner = " / ".join(f"<span {attributes}>{text}</span>" for attributes, text in values)
    return f"<td>{inner}{tail}</td>"


# the team table shows a median and its p90 in one column
PAIRS = {"fr_p50": ("fr_p50", "fr_p90"), "res_p50": ("res_p50", "res_p90")}
PAIR_TITLES = {"fr_p50": "First response median / p90", "res_p50": "Resolution median / p90"}


def _columns(figures: Mapping[str, Figure]) -> list[tuple[str, tuple[Figure, ...]]]:
    paired = {k for pair in PAIRS.values() for k in pair}
    out: list[tuple[str, tuple[Figure, ...]]] = []
    for key, figure in figures.items():
        if key in PAIRS:
            out.append((PAIR_TITLES[key], tuple(figures[k] for k in PAIRS[key])))
        elif key not in paired:
            out.append((figure.title, (figure,)))
    return out


def _tiles(report: WeekReport, judge: Judge, figures: Mapping[str, Figure]) -> str:
    cells = []
    for key in HEADLINE:
        figure = figures[key]
        this, before = report.this_total, report.before_total
        value = _value(figure, this)
        tone = judge.tone(figure, this, None)
        change = figure_change(figure, this, before)
        lines = [judge.goal_text(figure, None)]
        if figure.sample is not None and this is not None and value is not None:
            lines.append(f"n={figure.sample(this):,.0f}")
        sub = " · ".join(x for x in lines if x)
        change_html = (
            f"<div style='{SMALL}'>{_change_span(None, figure, change)} vs week before</div>"
            if change.arrow
            else f"<div style='{SMALL}'>{MISSING} vs week before</div>"
        )
        cells.append(
            "<td style='padding:8px 10px;border:1px solid #d5dae3;vertical-align:top;"
            f"text-align:left;width:20%;{FONT}'><div style='{SMALL}'>{_e(figure.title)}</div>"
            f"<div style='font-size:22px;font-weight:bold;color:{TONE_COLOUR[tone]}' "
            f"class='value {tone}' data-figure='{key}'>{value_text(value, figure.kind)}</div>"
            f"<div style='{SMALL}'>{_e(sub) or '&nbsp;'}</div>{change_html}</td>"
        )
    rows = [cells[i : i + 5] for i in range(0, len(cells), 5)]
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return (
        "<table role='presentation' cellspacing='6' cellpadding='0' "
        f"style='border-collapse:separate;width:100%;max-width:1100px'>{body}</table>"
    )


def _worst(report: WeekReport, judge: Judge, figures: Mapping[str, Figure]) -> str:
    names = worst_teams(report)
    if not names:
        return (
            f"<p style='{SMALL}'>No team had {MIN_SAMPLE} judged SLA clocks this week: "
            "no ranking.</p>"
        )
    keys = ("sla", "breaches", "volume", "abandonment", "fr_p90", "backlog")
    head = "".join(f"<th>{_e(figures[k].title)}</th>" for k in keys)
    body = "".join(
        f"<tr><th class='t'>{_e(n)}</th>"
        + "".join(
            _cell(judge, figures[k], Row(n, n, report.this[n], report.before.get(n))) for k in keys
        )
        + "</tr>"
        for n in names
    )
    return (
        f"<table cellspacing='0' style='border-collapse:collapse;{FONT}font-size:12px' "
        f"data-table='worst'><thead><tr><th class='t'>team</th>{head}"
        f"</tr></thead><tbody>{body}</tbody></table>"
    )


TREND_FIGURES = ("volume", "sla", "abandonment", "service_level", "fr_p90", "res_p90",
                 "breaches", "backlog", "csat")  # fmt: skip


def _trend_table(report: WeekReport, judge: Judge, figures: Mapping[str, Figure]) -> str:
    weeks = report.trend
    head = "".join(f"<th>{_e(label[5:])}</th>" for label, _ in weeks)
    rows = []
    for key in TREND_FIGURES:
        figure = figures[key]
        cells = "".join(
            f"<td style='color:{TONE_COLOUR[judge.tone(figure, week, None)]}' "
            f"data-week='{label}' data-figure='{key}' data-value='{_raw(_value(figure, week))}'>"
            f"{value_text(_value(figure, week), figure.kind)}</td>"
            for label, week in weeks
        )
        rows.append(f"<tr><th class='t'>{_e(figure.title)}</th>{cells}</tr>")
    return (
        f"<table cellspacing='0' style='border-collapse:collapse;{FONT}font-size:11px' "
        f"data-table='trend'><thead><tr><th class='t'>week</th>{head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


# ---- tickets from the ledger ----------------------------------------------------------------


def ticket_sections(
    tickets: LedgerWeek, report: WeekReport, top: int = TOP_N
) -> tuple[list[TeamTickets], list[TeamTickets]]:
    """(the teams given a section, the rest): the teams with a breach or a detractor in the
    week, in the team table's order (by volume), then the teams the table does not name
    (folded into "all others", or unknown to Prometheus) by most breaches, most detractors,
    then name; at most ``top`` sections."""
    order = [row.team for row in team_rows(report, top).rows if row.team is not None]
    named = [tickets.teams[team] for team in order if team in tickets.teams]
    seen = set(order)
    rest = sorted(
        (entry for team, entry in tickets.teams.items() if team not in seen),
        key=lambda e: (-e.breach_count, -e.detractor_count, natural_key(e.team)),
    )
    everyone = named + rest
    return everyone[:top], everyone[top:]


def _when(ts: float | None) -> str:
    return MISSING if ts is None else f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M}"


def _late(late: float, running: bool, word: str = "") -> str:
    """How late, in SLA-clock time: "3.5 h", "3.5 h late (still running)"."""
    return duration(max(late, 0.0)) + word + (" (still running)" if running else "")


def _answer(kind: str, score: int) -> str:
    return f"{kind.upper()} {score}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 'es' if word.endswith('ch') else 's'}"


def _counts(entry: TeamTickets) -> str:
    return f"{_plural(entry.breach_count, 'breach')}, {_plural(entry.detractor_count, 'detractor')}"


LEFT = "text-align:left;"


def _ticket_cell(ticket_id: str, template: str | None) -> str:
    if template is None:
        return f"<td style='{LEFT}' data-ticket='{_e(ticket_id)}'>{_e(ticket_id)}</td>"
    url = ticket_url(template, ticket_id)
    return (
        f"<td style='{LEFT}' data-ticket='{_e(ticket_id)}'><a href='{_e(url)}' "
        f"style='color:#0b57d0'>{_e(ticket_id)}</a></td>"
    )


def _breach_table(entry: TeamTickets, template: str | None) -> str:
    if not entry.breaches:
        return f"<p style='{SMALL}'>No breach this week.</p>"
    rows = "".join(
        f"<tr>{_ticket_cell(b.ticket_id, template)}"
        f"<td style='{LEFT}'>{_e(TARGET_TITLE.get(b.target, b.target))}</td>"
        f"<td data-late='{b.late:.10g}'>{_late(b.late, b.stopped is None)}</td>"
        f"<td style='{LEFT}'>{_e(b.agent) or MISSING}</td>"
        f"<td style='{LEFT}'>{_e(b.priority)}</td><td>{_when(b.deadline)}</td></tr>"
        for b in entry.breaches
    )
    shown = len(entry.breaches)
    title = (
        f"Worst breaches ({shown} of {entry.breach_count:,})"
        if entry.breach_count > shown
        else "Breaches"
    )
    return (
        f"<p style='font-size:13px;font-weight:bold;margin:6px 0 2px 0'>{title}</p>"
        f"<table cellspacing='0' style='border-collapse:collapse;{FONT}font-size:12px' "
        f"data-table='breaches' data-team='{_e(entry.team)}'><thead><tr>"
        "<th class='t'>ticket</th><th class='t'>target</th><th>late</th><th class='t'>agent</th>"
        "<th class='t'>priority</th><th>deadline (UTC)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _detractor_table(entry: TeamTickets, template: str | None) -> str:
    if not entry.detractors:
        return f"<p style='{SMALL}'>No detractor this week.</p>"
    rows = "".join(
        f"<tr>{_ticket_cell(d.ticket_id, template)}"
        f"<td style='{LEFT}'>{_answer(_e(d.kind), d.score)}</td><td>{_when(d.ts)}</td>"
        f"<td style='{LEFT}'>{_e(d.agent) or MISSING}</td>"
        f"<td style='{LEFT}'>{_e(d.channel)}</td></tr>"
        for d in entry.detractors
    )
    shown = len(entry.detractors)
    title = (
        f"Detractors ({shown} of {entry.detractor_count:,}, oldest first)"
        if entry.detractor_count > shown
        else "Detractors"
    )
    return (
        f"<p style='font-size:13px;font-weight:bold;margin:6px 0 2px 0'>{title}</p>"
        f"<table cellspacing='0' style='border-collapse:collapse;{FONT}font-size:12px' "
        f"data-table='detractors' data-team='{_e(entry.team)}'><thead><tr>"
        "<th class='t'>ticket</th><th class='t'>answer</th><th>answered (UTC)</th>"
        "<th class='t'>agent</th><th class='t'>channel</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _detractor_rule() -> str:
    return " or ".join(f"{kind.upper()} {limit} or below" for kind, limit in DETRACTOR_MAX.items())


def _tickets_html(tickets: LedgerWeek, report: WeekReport, top: int, template: str | None) -> str:
    shown, rest = ticket_sections(tickets, report, top)
    parts = [
        "<h2 style='font-size:16px;margin:18px 0 4px 0'>Worst breaches and detractors per team</h2>"
    ]
    for entry in shown:
        parts.append(
            f"<h3 style='font-size:14px;margin:12px 0 2px 0' data-tickets='{_e(entry.team)}'>"
            f"{_e(entry.team)} <small>{_counts(entry)}</small></h3>"
            + _breach_table(entry, template)
            + _detractor_table(entry, template)
        )
    if not shown:
        parts.append(f"<p style='{SMALL}'>No breach and no detractor this week.</p>")
    if rest:
        parts.append(
            f"<p style='{SMALL}'>Also with breaches or detractors: "
            + _e(", ".join(f"{e.team} ({_counts(e)})" for e in rest))
            + ".</p>"
        )
    parts.append(
        f"<p style='{SMALL}max-width:1000px'>From the outcomes ledger ({_e(tickets.source)}): "
        "the breaches whose deadline passed this week, the most late first (late: SLA-clock time "
        "past the target when the clock stopped, or so far when it still runs); the survey "
        f"answers of the week from detractors ({_e(_detractor_rule())}; CES not judged), "
        f"oldest first, whether or not an agent has answered them since. At most "
        f"{tickets.per_team} of each per team; teams without either are left out.</p>"
    )
    return "\n".join(parts)


def _tickets_text(
    tickets: LedgerWeek, report: WeekReport, top: int, template: str | None
) -> list[str]:
    shown, rest = ticket_sections(tickets, report, top)
    lines = ["", "Worst breaches and detractors per team (ledger):"]
    for entry in shown:
        lines.append(f"  {entry.team}: {_counts(entry)}")
        if entry.breaches:
            more = len(entry.breaches) < entry.breach_count
            lines.append(
                "    worst breaches"
                + (f" ({len(entry.breaches)} of {entry.breach_count:,})" if more else "")
                + ":"
            )
            for b in entry.breaches:
                link = f"  {ticket_url(template, b.ticket_id)}" if template is not None else ""
                lines.append(
                    f"      {b.ticket_id:<12} {b.target:<14} "
                    f"{_late(b.late, b.stopped is None, ' late'):>14}  "
                    f"agent {b.agent or MISSING}{link}"
                )
        if entry.detractors:
            more = len(entry.detractors) < entry.detractor_count
            lines.append(
                "    detractors"
                + (f" ({len(entry.detractors)} of {entry.detractor_count:,})" if more else "")
                + ":"
            )
            for d in entry.detractors:
                link = f"  {ticket_url(template, d.ticket_id)}" if template is not None else ""
                lines.append(
                    f"      {d.ticket_id:<12} {_answer(d.kind, d.score):<8} {_when(d.ts)}  "
                    f"agent {d.agent or MISSING}{link}"
                )
    if not shown:
        lines.append("  No breach and no detractor this week.")
    if rest:
        lines.append(
            "  Also with breaches or detractors: "
            + ", ".join(f"{e.team} ({_counts(e)})" for e in rest)
        )
    lines.append(
        f"  (breaches the most late first, in SLA-clock time; detractors {_detractor_rule()},"
        f" oldest first; at most {tickets.per_team} of each per team)"
    )
    return lines


def render_html(
    report: WeekReport,
    source: str,
    objectives: PolicyObjectives | None = None,
    images: Mapping[str, str] | None = None,
    top: int = TOP_N,
    tickets: LedgerWeek | None = None,
    template: str | None = None,
) -> str:
    """The report page. ``images``: chart name (``trend``) -> its ``src`` (a ``cid:`` or a
    ``data:`` URI); a chart not given is left out. ``tickets``: the week's rows of the
    ledger, listed last; ``template``: the ticket URL template that links each ticket id."""
    judge = Judge(objectives)
    figures = figure_map(report)
    columns = _columns(figures)
    start = datetime.fromtimestamp(report.start, UTC)
    end = datetime.fromtimestamp(report.start + WEEK - 1, UTC)
    table = team_rows(report, top)
    notes = "".join(
        f"<p style='background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;"
        f"{FONT}font-size:13px' class='partial'>&#9888; {_e(n)}</p>"
        for n in partial_notes(report)
    )
    heads = "".join(f"<th>{_e(title)}</th>" for title, _ in columns)
    rows = "".join(
        f"<tr><th class='t'>{_e(row.name)}</th>"
        + "".join(_pair_cell(judge, group, row) for _, group in columns)
        + "</tr>"
        for row in table.rows
    )
    folded = ""
    if table.folded:
        folded += (
            f"<p style='{SMALL}'>In &ldquo;{OTHERS}&rdquo; beyond the top {top}: "
            + _e(named(table.folded))
            + ".</p>"
        )
    if table.idle:
        folded += (
            f"<p style='{SMALL}'>No contacts and nothing open this week (in &ldquo;{OTHERS}"
            f"&rdquo;): " + _e(named(table.idle)) + ".</p>"
        )
    images = images or {}
    chart = (
        f"<img src='{_e(images['trend'])}' width='760' alt='12-week trend: contacts, SLA "
        "attainment, abandonment and first response p90 per week' style='display:block;"
        "max-width:100%;height:auto;border:0'>"
        if "trend" in images
        else ""
    )
    thresholds = ", ".join(f"{c} {duration(s)}" for c, s in SERVICE_LEVEL_SECONDS.items())
    summary = summary_line(report, judge)
    ledger = "" if tickets is None else _tickets_html(tickets, report, top, template) + "\n"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ServicePulse weekly report {report.week}</title>
<style>
@page {{ size: A4 landscape; margin: 10mm; }}
thead {{ display: table-header-group; }}
td, th {{ padding: 3px 5px; border-bottom: 1px solid #e3e7ee; text-align: right;
  white-space: nowrap; font-size: 12px; }}
table[data-table=teams] td, table[data-table=teams] th {{ font-size: 11px; }}
thead th {{ background: #f3f5f8; vertical-align: bottom; white-space: normal;
  min-width: 4.5em; }}
th.t {{ text-align: left; }}
small {{ font-size: 10px; color: #6e7781; font-weight: normal; }}
tr, img {{ page-break-inside: avoid; break-inside: avoid; }}
@media print {{ body {{ margin: 0; }} table {{ font-size: 9px !important; }} }}
</style></head>
<body style="margin:16px;{FONT}color:{INK};background:#ffffff">
<h1 style="font-size:22px;margin:0 0 4px 0">Service report &mdash; week {report.week}</h1>
<p style="font-size:16px;font-weight:bold;margin:4px 0 6px 0" class="summary">{_e(summary)}</p>
<p style="{SMALL}margin:0 0 8px 0">{start:%a %d %b %Y} to {end:%a %d %b %Y} (UTC), compared
with the week before. Source: {_e(source)}.</p>
{notes}
<h2 style="font-size:16px;margin:14px 0 4px 0">All teams</h2>
{_tiles(report, judge, figures)}
<h2 style="font-size:16px;margin:14px 0 4px 0">Five worst teams (lowest SLA attainment,
at least {MIN_SAMPLE} judged clocks)</h2>
{_worst(report, judge, figures)}
<h2 style="font-size:16px;margin:14px 0 4px 0">The last {len(report.trend)} weeks</h2>
{chart}
{_trend_table(report, judge, figures)}
<h2 style="font-size:16px;margin:14px 0 4px 0">Per team, by volume</h2>
<table cellspacing="0" style="border-collapse:collapse;{FONT}font-size:12px" data-table="teams">
<thead><tr><th class='t'>team</th>{heads}</tr></thead>
<tbody>{rows}</tbody></table>
{folded}
<p style="{SMALL}max-width:1000px">Colours judge each figure against its objective: green
meets it, amber falls short, red is past its floor (SLA attainment of a target against the
policy's <code>objectives</code>, overall attainment against the strictest of them; the other
figures against the boards' objectives); black has no objective; grey has fewer than
{MIN_SAMPLE} in its sample (n) and no arrow. {MISSING} means no data, never zero. Arrows
({UP} {DOWN} =) compare with the week before, green when better, red when worse, grey for
counts that are neither. Abandoned = abandoned / created, phone and chat. Service level =
answered within the channel's threshold ({_e(thresholds)}) / (answered + abandoned &minus;
short abandons). ASA = mean first response of phone and chat. Medians and p90s are
interpolated within histogram buckets; "&gt;" marks one beyond the top bucket. CSAT = share
of answers scoring 4 or 5; SLA attainment = met / (met + breached); first-contact resolution
and reopen rate are per resolution. Counts are the week's increase of the Prometheus
counters; the backlog is the open tickets at the week's end.</p>
{ledger}</body></html>
"""


# ---- plain text -----------------------------------------------------------------------------


def render_text(
    report: WeekReport,
    objectives: PolicyObjectives | None = None,
    top: int = TOP_N,
    tickets: LedgerWeek | None = None,
    template: str | None = None,
) -> str:
    """The mail's text part: the summary, the headline figures, the worst teams, the trend
    and the team table, in fixed-width columns; with ``tickets``, each team's worst breaches
    and detractors (and their links with ``template``)."""
    judge = Judge(objectives)
    figures = figure_map(report)
    mark = {"good": "", "warn": " (!)", "bad": " (!!)", "few": " (few)", "none": ""}
    lines = [f"ServicePulse service report, week {report.week}", "", summary_line(report, judge)]
    lines += [f"! {n}" for n in partial_notes(report)]
    lines += ["", "All teams:"]
    for key in HEADLINE:
        figure = figures[key]
        this = report.this_total
        value = value_text(_value(figure, this), figure.kind)
        change = figure_change(figure, this, report.before_total)
        goal = judge.goal_text(figure, None)
        sample = (
            f", n={figure.sample(this):,.0f}"
            if figure.sample is not None and this is not None and _value(figure, this) is not None
            else ""
        )
        extra = ", ".join(
            x for x in (goal, f"{change.label} vs week before" if change.arrow else "") if x
        )
        tone = mark[judge.tone(figure, this, None)]
        lines.append(
            f"  {figure.title:<22} {value + tone:>14}{sample}" + (f"  ({extra})" if extra else "")
        )
    worst = worst_teams(report)
    if worst:
        lines += ["", f"Five worst teams (lowest SLA attainment, n >= {MIN_SAMPLE}):"]
        for name in worst:
            w = report.this[name]
            lines.append(
                f"  {name:<24} {value_text(w.sla, 'share'):>7}  "
                f"{w.breaches:,.0f} breaches, {w.volume:,.0f} contacts"
            )
    lines += ["", "Trend (every team):"]
    lines.append("  " + f"{'week':<22}" + "".join(f"{lbl[5:]:>9}" for lbl, _ in report.trend))
    for key in ("volume", "sla", "abandonment", "service_level", "fr_p90", "backlog"):
        figure = figures[key]
        lines.append(
            "  "
            + f"{figure.title:<22}"
            + "".join(f"{value_text(_value(figure, w), figure.kind):>9}" for _, w in report.trend)
        )
    table = team_rows(report, top)
    keys = (
        "volume",
        "abandonment",
        "service_level",
        "fr_p90",
        "sla",
        "breaches",
        "backlog",
        "csat",
    )
    lines += ["", "Per team, by volume:"]
    lines.append("  " + f"{'team':<26}" + "".join(f" {_short(figures[k].title):>13}" for k in keys))
    for row in table.rows:
        cells = "".join(f" {_text_cell(figures[k], row, judge, mark):>13}" for k in keys)
        lines.append(f"  {row.name[:26]:<26}{cells}")
    if tickets is not None:
        lines += _tickets_text(tickets, report, top, template)
    lines += [
        "",
        f"(!) short of its objective, (!!) past its floor, (few) fewer than {MIN_SAMPLE} "
        f"in its sample; {MISSING} no data. The HTML part has every figure and the trend chart.",
    ]
    return "\n".join(lines) + "\n"


def _text_cell(figure: Figure, row: Row, judge: Judge, mark: Mapping[str, str]) -> str:
    text = value_text(_value(figure, row.this), figure.kind)
    return text + mark[judge.tone(figure, row.this, row.team)]


def _short(title: str) -> str:
    return {
        "Service level": "Serv. level",
        "First response p90": "1st resp p90",
        "SLA attainment": "SLA att.",
        "Backlog at week end": "Backlog",
    }.get(title, title)[:12]
