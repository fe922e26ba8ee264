"""One event, all or nothing: a handler that fails leaves no half-applied state.

The engine applies an event to its ticket after taking a snapshot (the
ticket's fields and its clocks' fields, a few C-level attribute reads) and
buffers the facts it reports; on success the facts go to the real sink, on an
exception the ticket is put back as it was and the facts are dropped. (Inputs
are bounded at intake, so a failure is a bug or an unforeseen corner; the
event is then rejected as ``engine_error`` and the stream goes on.)

The buffer is on every event's path: a fact is one tuple appended, and a sink
that offers ``take_facts`` takes the whole list in one call instead of one method
call per fact; one that offers its series as ``fact_tables`` (the plain
:class:`~streams.export.exporter.Exporter`) has them added to by the core itself.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Final

from streams.core.ticket import Clock, Ticket
from streams.core.vocabulary import OUTCOMES

# Written out, not generated: the interpreter (and mypyc, for a compiled core) turns each
# ``t.a`` into a slot read. ``seen`` and ``held`` are left out: ``apply`` changes them only
# after the transaction (``remember``, ``_hold``, ``_release_held``), and ``ticket_id``
# never changes. test_hot_path.py checks that restore puts back every other field.
TICKET_FIELDS = (
    "answered",
    "asked",
    "assignee",
    "category",
    "channel",
    "created_ts",
    "customer_tier",
    "last_ts",
    "paused",
    "policy",
    "priority",
    "public_replies",
    "reopens",
    "replier",
    "reply_clock",
    "resolution_clock",
    "resolved_ts",
    "resolver",
    "response_clock",
    "since_resolved",
    "state",
    "stint",
    "stints",
    "team",
    "transferred",
)
CLOCK_FIELDS = (
    "target",
    "elapsed",
    "since",
    "running",
    "breached",
    "deadline",
    "risk_at",
    "started",
)


def _put_clock(c: Clock, v: tuple[Any, ...]) -> None:
    (c.target, c.elapsed, c.since, c.running, c.breached, c.deadline, c.risk_at, c.started) = v


# what a buffered fact is: (kind, metric, labels, amount / value / targets)
INC: Final = 0
OBSERVE: Final = 1
LABELLED: Final = 2
Fact = tuple[int, str, tuple[str, ...], Any]


def report_facts(sink: Any, facts: list[Fact]) -> None:
    """Hand buffered facts to ``sink`` one call each, in order (any ``FactSink``)."""
    for kind, metric, labels, value in facts:
        if kind == INC:
            sink.inc(metric, labels, value)
        elif kind == OBSERVE:
            sink.observe(metric, labels, value)
        else:
            sink.labelled(labels, value)


class HistogramSeries:
    """Bucket counts (non-cumulative, +Inf last), sum and count of one label set.

    A sink's histogram series (the exporter's); here so that a compiled core adds to
    it natively (``add_facts``).
    """

    __slots__ = ("buckets", "count", "sum")

    def __init__(self, size: int) -> None:
        self.buckets: list[int] = [0] * (size + 1)
        self.sum = 0.0
        self.count = 0


def add_facts(
    facts: list[Fact],
    counters: dict[str, dict[tuple[str, ...], float]],
    histograms: dict[str, dict[tuple[str, ...], HistogramSeries]],
    bounds: dict[str, tuple[float, ...]],
    primed: set[tuple[str, ...]],
) -> None:
    """Add one event's facts to an exporter's series, in order.

    What the exporter's ``inc``, ``observe`` and ``labelled`` do, here rather than in
    the exporter so that a compiled core (deploy/build-core.sh) runs the per-fact loop
    natively. ``le`` is inclusive, so a value equal to a bound belongs to that bound's
    bucket. ``primed`` holds the label sets already labelled (``prime``).
    """
    for kind, metric, labels, value in facts:
        if kind == INC:
            series = counters[metric]
            series[labels] = series.get(labels, 0.0) + value
        elif kind == OBSERVE:
            hseries = histograms[metric]
            edges = bounds[metric]
            histogram = hseries.get(labels)
            if histogram is None:
                histogram = hseries[labels] = HistogramSeries(len(edges))
            histogram.buckets[bisect_left(edges, value)] += 1
            histogram.sum += value
            histogram.count += 1
        elif labels not in primed:
            prime(counters, primed, labels, value)


def prime(
    counters: dict[str, dict[tuple[str, ...], float]],
    primed: set[tuple[str, ...]],
    labels: tuple[str, ...],
    targets: tuple[str, ...],
) -> None:
    """A ticket carries ``labels`` (team, channel, priority, customer_tier, policy).

    Exposes at 0 the met/breached outcomes of each of its policy's ``targets`` and the
    (team, channel) abandon counters, unless already there (the exporter's ``labelled``).
    """
    if labels in primed:
        return
    primed.add(labels)
    outcomes = counters["sla_outcomes"]
    for target in targets:
        for outcome in OUTCOMES:
            outcomes.setdefault((*labels, target, outcome), 0.0)
    team_channel = labels[:2]
    for name in ("contacts_abandoned", "contacts_abandoned_short"):
        counters[name].setdefault(team_channel, 0.0)


class SeriesTables:
    """A sink's series, for ``add_facts``: what a plain exporter offers as ``fact_tables``.

    With it the engine adds an event's facts in one call into the core, no call into the
    sink's (interpreted) code per event; the arguments are those of ``add_facts``.
    """

    __slots__ = ("bounds", "counters", "histograms", "primed")

    def __init__(
        self,
        counters: dict[str, dict[tuple[str, ...], float]],
        histograms: dict[str, dict[tuple[str, ...], HistogramSeries]],
        bounds: dict[str, tuple[float, ...]],
        primed: set[tuple[str, ...]],
    ) -> None:
        self.counters = counters
        self.histograms = histograms
        self.bounds = bounds
        self.primed = primed

    def add(self, facts: list[Fact]) -> None:
        add_facts(facts, self.counters, self.histograms, self.bounds, self.primed)


class FactBuffer:
    """A ``FactSink`` that keeps the facts of one event until it commits to ``sink``."""

    __slots__ = ("facts", "sink", "tables", "take")

    def __init__(self, sink: Any) -> None:
        self.facts: list[Fact] = []
        self.sink = sink
        # the sink's own batch intake, when it has one (same result as one call per fact):
        # its series tables (added to in the core), else its take_facts
        tables = getattr(sink, "fact_tables", None)
        self.tables: SeriesTables | None = tables if isinstance(tables, SeriesTables) else None
        self.take = getattr(sink, "take_facts", None)

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self.facts.append((INC, metric, labels, amount))

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self.facts.append((OBSERVE, metric, labels, value))

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        self.facts.append((LABELLED, "", labels, targets))

    def commit(self) -> None:
        """Hand the facts to the sink, in the order they were reported."""
        facts = self.facts
        if not facts:
            return
        if self.tables is not None:
            self.tables.add(facts)
        elif self.take is not None:
            self.take(facts)
        else:
            report_facts(self.sink, facts)
        facts.clear()


Snapshot = tuple[Any, ...]


def snapshot(ticket: Ticket) -> Snapshot:
    """The ticket's fields, its clock objects and their fields (``seen``/``held`` untouched).

    One function, no calls: it runs before every event.
    """
    t = ticket
    c0, c1, c2, c3 = t.response_clock, t.reply_clock, t.resolution_clock, t.stint
    return (
        (
            t.answered,
            t.asked,
            t.assignee,
            t.category,
            t.channel,
            t.created_ts,
            t.customer_tier,
            t.last_ts,
            t.paused,
            t.policy,
            t.priority,
            t.public_replies,
            t.reopens,
            t.replier,
            c1,
            c2,
            t.resolved_ts,
            t.resolver,
            c0,
            t.since_resolved,
            t.state,
            c3,
            t.stints,
            t.team,
            t.transferred,
        ),
        (c0, c1, c2, c3),
        (
            None
            if c0 is None
            else (
                c0.target,
                c0.elapsed,
                c0.since,
                c0.running,
                c0.breached,
                c0.deadline,
                c0.risk_at,
                c0.started,
            ),
            None
            if c1 is None
            else (
                c1.target,
                c1.elapsed,
                c1.since,
                c1.running,
                c1.breached,
                c1.deadline,
                c1.risk_at,
                c1.started,
            ),
            None
            if c2 is None
            else (
                c2.target,
                c2.elapsed,
                c2.since,
                c2.running,
                c2.breached,
                c2.deadline,
                c2.risk_at,
                c2.started,
            ),
            None
            if c3 is None
            else (
                c3.target,
                c3.elapsed,
                c3.since,
                c3.running,
                c3.breached,
                c3.deadline,
                c3.risk_at,
                c3.started,
            ),
        ),
    )


def restore(ticket: Ticket, saved: Snapshot) -> None:
    fields, objects, clock_fields = saved
    t = ticket
    (
        t.answered,
        t.asked,
        t.assignee,
        t.category,
        t.channel,
        t.created_ts,
        t.customer_tier,
        t.last_ts,
        t.paused,
        t.policy,
        t.priority,
        t.public_replies,
        t.reopens,
        t.replier,
        t.reply_clock,
        t.resolution_clock,
        t.resolved_ts,
        t.resolver,
        t.response_clock,
        t.since_resolved,
        t.state,
        t.stint,
        t.stints,
        t.team,
        t.transferred,
    ) = fields
    for clock, values in zip(objects, clock_fields, strict=True):
        if clock is not None and values is not None:
            _put_clock(clock, values)
