"""PromQL for a window of time read from the raw counters: the executive board's weeks.

A week's count is :func:`streams.report.figures.grown` summed: each counter series' value
at the week's end minus its value at the start — exactly what ``servicepulse report``
computes for an ISO week (streams/report/figures.py): no ``increase()`` extrapolation blurs
the figure, and two instant reads per series keep it cheap whatever the scrape interval. A
series born in the week counts in full; one that went backwards (a process restarted
without its counts) counts what it counted since, so a restart loses at most its own part
of the week and never turns the week negative; a series gone before the week's end (a
backfilled history followed by the live pipeline's own series) counts nothing in that
week. No recording rule is needed, so a history backfilled with ``--no-rules`` shows too.
A ratio is the ratio of two counts, a quantile comes from the growth of the histogram's
buckets. The daily charts, which are not compared with the report, use ``increase()`` on
hourly points instead (``DAY``).

Where the ends are read is a :class:`Window` (PromQL modifiers after each selector):

``THIS_WEEK``
    the board's time range, read from the instant query's time (Grafana's "to") and the
    range's length: ``offset -1ms`` and ``offset ${__range_ms}ms``. Grafana ends a calendar
    range at 23:59:59.999 (``now-1w/w``), so the end is read at Monday 00:00:00.000, the
    report's boundary, and the start at the range's "from". (Not ``${__to:date:seconds}``:
    on a first load Grafana 10.1 fills ``__from``/``__to`` before it applies the board's
    ``weekStart``, and a calendar week would start on Sunday.)
:func:`week_before`
    the same figure evaluated one range earlier (a one-point subquery ``offset
    ${__range_ms}ms``).
``ISO_WEEK``
    for range queries stepped by one week: Grafana aligns the steps of a 1w interval on
    multiples of a week since the epoch, Thursdays 00:00 UTC, and the ISO week of a Thursday
    runs from 3 days before it to 4 days after (``offset 3d`` .. ``offset -4d``).
``DAY``
    the 24 hours up to each point of a chart, ``increase()`` on hourly points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streams.report.figures import grown

RESOLUTION = "1h"  # the points of DAY's increase and of the average backlog


@dataclass(frozen=True)
class Window:
    length: str  # PromQL duration of the window
    end: str  # modifiers that read a selector at the window's end
    start: str | None  # ... at its start; None: increase() over ``length`` on hourly points


RANGE = "${__range_ms}ms"
THIS_WEEK = Window(RANGE, " offset -1ms", f" offset {RANGE}")
ISO_WEEK = Window("1w", " offset -4d", " offset 3d")
DAY = Window("1d", "", None)
# A week of the trends counts once the pipeline has samples at its start and its end (complete
# weeks only: the week before a history or a new Prometheus shows no bar, not a 0).
WEEK_ENDED = (
    "(count(servicepulse_tickets_created_total offset -4d)"
    " and on () count(servicepulse_tickets_created_total offset 3d))"
)
# A subquery of 1-week steps, evaluated this much before the query time, has its last step on
# the Thursday of the last ISO week that ended by the query time + 1 ms (the end of a calendar
# range, Sunday 23:59:59.999, as THIS_WEEK reads it): 4 days - 1 ms back.
LAST_THURSDAY = "3d23h59m59s999ms"
# 12 weeks less 1 ms: Prometheus 2 includes a step at the very start of a subquery's range, 3
# does not; either way a range ending on a Thursday holds 12 Thursdays, not 13.
TWELVE_WEEKS = "11w6d23h59m59s999ms"

LIVE = 'channel=~"phone|chat"'


def last_weeks(figure: Callable[[Window], str]) -> str:
    """``figure`` for each of the 12 complete ISO weeks up to the query time: an instant
    query answering one point per week, at its Thursday.

    Prometheus aligns a subquery's steps on multiples of the step since the epoch: 1w steps
    fall on Thursdays 00:00 UTC, whose ISO week is ISO_WEEK around them. Evaluated at the
    board's "to", so a past week picked in the time picker (absolute or relative) shows the 12
    weeks up to it, not the 12 up to now.
    """
    return (
        f"(({figure(ISO_WEEK)}) and on () {WEEK_ENDED})[{TWELVE_WEEKS}:1w] offset {LAST_THURSDAY}"
    )


def _by(labels: Sequence[str]) -> str:
    return f"sum by ({', '.join(labels)})" if labels else "sum"


def count(selector: str, w: Window, by: Sequence[str] = ()) -> str:
    """The increase of a counter (or histogram series) in the window, summed ``by``."""
    if w.start is None:
        return f"{_by(by)} (increase({selector}[{w.length}:{RESOLUTION}]{w.end}))"
    return f"{_by(by)} {grown(f'{selector}{w.end}', f'{selector}{w.start}')}"


def week_before(expr: str) -> str:
    """``expr`` (a THIS_WEEK figure) over the week before: evaluated one range earlier."""
    return f"last_over_time(({expr})[1ms:1ms] offset {RANGE})"


def ratio(part: str, whole: str) -> str:
    """part / whole of two counts; 0 when ``part`` has no series, nothing when whole is 0."""
    return f"({part} or 0 * {whole}) / ({whole} > 0)"


def share(metric: str, good: str, w: Window, by: Sequence[str] = (), base: str = "") -> str:
    """Share of ``metric{base}`` increments that also match ``good`` (label matchers)."""
    both = f"{base},{good}" if base else good
    whole = count(f"{metric}{{{base}}}" if base else metric, w, by)
    return ratio(count(f"{metric}{{{both}}}", w, by), whole)


# ---- the figures ---------------------------------------------------------------------------

SURVEYS = "servicepulse_survey_responses_total"
OUTCOMES = "servicepulse_sla_outcomes_total"


def csat(w: Window, by: Sequence[str] = ()) -> str:
    return share(SURVEYS, 'score=~"4|5"', w, by, base='kind="csat"')


def nps(w: Window, by: Sequence[str] = ()) -> str:
    answers = count(f'{SURVEYS}{{kind="nps"}}', w, by)
    promoters = count(f'{SURVEYS}{{kind="nps",score=~"9|10"}}', w, by)
    detractors = count(f'{SURVEYS}{{kind="nps",score=~"[0-6]"}}', w, by)
    return (
        f"100 * (({promoters} or 0 * {answers}) - ({detractors} or 0 * {answers}))"
        f" / ({answers} > 0)"
    )


def ces(w: Window, by: Sequence[str] = ()) -> str:
    """Mean CES answer: sum of score x answers per score / answers (scores 1-7)."""
    answers = count(f'{SURVEYS}{{kind="ces"}}', w, by)
    scores = [count(f'{SURVEYS}{{kind="ces",score="{s}"}}', w, by) for s in range(1, 8)]
    terms = " + ".join(f"{s} * ({c} or 0 * {answers})" for s, c in enumerate(scores, 1))
    return f"({terms}) / ({answers} > 0)"


def fcr(w: Window, by: Sequence[str] = ()) -> str:
    return ratio(
        count("servicepulse_first_contact_resolutions_total", w, by),
        count("servicepulse_tickets_resolved_total", w, by),
    )


def attainment(w: Window, by: Sequence[str] = ()) -> str:
    """SLA clocks met / met + breached, every target together (or ``by`` target)."""
    return share(OUTCOMES, 'outcome="met"', w, by)


def volume(w: Window, by: Sequence[str] = (), metric: str = "tickets_created") -> str:
    return count(f"servicepulse_{metric}_total", w, by)


def reopen_rate(w: Window) -> str:
    return ratio(volume(w, metric="tickets_reopened"), volume(w, metric="tickets_resolved"))


def transfers(w: Window) -> str:
    return count("servicepulse_transfers_total", w)


def mean(histogram: str, w: Window) -> str:
    return f"{count(f'{histogram}_sum', w)} / ({count(f'{histogram}_count', w)} > 0)"


def quantile(q: float, histogram: str, w: Window, by: Sequence[str] = ()) -> str:
    """The ``q`` quantile of the observations made in the window."""
    buckets = count(f"{histogram}_bucket", w, (*by, "le"))
    on = f"on ({', '.join(by)})" if by else "on ()"
    return (
        f"histogram_quantile({q:g}, {buckets}) and {on} ({count(f'{histogram}_count', w, by)} > 0)"
    )


def within(histogram: str, seconds: float, w: Window) -> str:
    """Share of the observations at or under ``seconds`` (a bucket edge)."""
    edge = f'{histogram}_bucket{{le=~"{seconds:g}(\\\\.0)?"}}'
    return ratio(count(edge, w), count(f"{histogram}_count", w))


def abandonment(w: Window) -> str:
    """Phone and chat contacts abandoned before a response / created, short abandons out."""
    abandoned = count(f"servicepulse_contacts_abandoned_total{{{LIVE}}}", w)
    short = count(f"servicepulse_contacts_abandoned_short_total{{{LIVE}}}", w)
    created = count(f"servicepulse_tickets_created_total{{{LIVE}}}", w)
    # no short-abandon series counts as none — beside real abandons, never as a figure alone
    none = f"({short} or 0 * {abandoned})"
    return ratio(f"({abandoned} - {none})", f"({created} - {none})")


def average_backlog(w: Window) -> str:
    """Open tickets on average over the window: their total, on hourly points, averaged
    (robust to series that end and others that begin, as a sum of per-series means is not)."""
    total = "sum(servicepulse_open_tickets)"
    return f"avg_over_time({total}[{w.length}:{RESOLUTION}]{w.end})"


def answers(kind: str, w: Window) -> str:
    """Survey answers of ``kind`` (csat / nps / ces) in the window: the sample of its score."""
    return count(f'{SURVEYS}{{kind="{kind}"}}', w)


def observations(histogram: str, w: Window) -> str:
    """How many observations a histogram (or summary) made in the window."""
    return count(f"{histogram}_count", w)


def live_contacts(w: Window) -> str:
    """Phone and chat contacts created: the sample of the abandonment rate."""
    return count(f"servicepulse_tickets_created_total{{{LIVE}}}", w)


def clocks(w: Window) -> str:
    """SLA clocks judged (met or breached): the sample of the attainment."""
    return count(OUTCOMES, w)


# ---- week over week ------------------------------------------------------------------------

ARROWS = {"up": "▲", "down": "▼", "same": "="}


def change(
    figure: str,
    before: str,
    scale: float = 1.0,
    samples: tuple[str, str] | None = None,
    minimum: float = 0,
) -> str:
    """``figure - before`` (times ``scale``), labelled ``arrow`` ▲ (up), ▼ (down) or = (same).

    Nothing when either week has no value: the tile then says so for that week; nothing
    either when ``samples`` (this week's and the week before's) are given and one of them is
    under ``minimum``: a share of a handful of answers moves with every answer.
    """
    diff = f"(({figure}) - ({before}))"  # a figure may end in `and ...`: parenthesised
    if scale != 1:
        diff = f"{scale:g} * {diff}"
    parts = [
        f'label_replace({diff} {op} 0, "arrow", "{ARROWS[name]}", "", "")'
        for name, op in (("up", ">"), ("down", "<"), ("same", "=="))
    ]
    out = " or ".join(parts)
    if samples is None:
        return out
    this, earlier = samples
    return f"({out}) and on () (({this}) >= {minimum:g}) and on () (({earlier}) >= {minimum:g})"


def or_nothing_yet(expr: str) -> str:
    """The figure, or NaN (shown as "no data yet") when the window has no value."""
    return f"({expr}) or on () vector(NaN)"
