"""The recording rules' series for a backfilled span.

Prometheus evaluates recording rules only on the live clock, so backfilled raw series
would have no ``team:servicepulse_csat:ratio_rate7d`` and friends before the moment
Prometheus loaded them. ``promtool tsdb create-blocks-from rules`` evaluates rules over a
past span through a Prometheus HTTP API but writes one block per rule per 2 h (thousands a
day); here a temporary Prometheus (``prometheus.py``), started on hard links of the new
raw blocks on a free port, evaluates each rule with
``query_range`` over whole 18 h spans, and the results, written where they change
(:func:`write_rule`), become one block per span. Rules that read other recording rules
are evaluated in a second pass, with the first pass's blocks loaded too (a range query
cannot read what the same pass records), and so on, as deep as the rules read each
other. Besides the recording rules file, the error budgets' recording groups of the
``alerts.yml`` beside it are backfilled.
"""

from __future__ import annotations

import math
import re
import shutil
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from streams.console.progress import Progress
from streams.errors import UserError
from streams.export.openmetrics import series_text, timestamp_text
from streams.history.blocks import SPAN, BlockQueue
from streams.history.prometheus import TemporaryPrometheus, block_names, query_range
from streams.history.quantiles import QuantileShape, quantiles
from streams.history.quantiles import parse as parse_quantile
from streams.monitoring.prometheus import RULES_DIR

DEFAULT_RULES = RULES_DIR / "recording.yml"  # shipped in the package (generate writes it)
ALERT_RULES = "alerts.yml"  # beside the recording rules: the error budgets' groups too
BACKFILLED_GROUPS = ("servicepulse.slo.",)  # the recording groups of alerts.yml backfilled
QUERIES_AT_ONCE = 2  # rule queries in flight (the machines it runs on have 2+ cores)
WAIT_SHOWN = 0.5  # seconds between two progress updates while the first pass's last batch ends
MAX_POINTS = 4320  # instants per query_range (Prometheus allows 11,000; memory: a result)
HOLD_SHARE = 96  # a long window's rule is evaluated at least every window / HOLD_SHARE
SHORT_WINDOW = 300.0  # windows up to 5 minutes: evaluated at every step
HOUR_HOLD_SHARE = 12  # windows over 5 minutes up to an hour: at least every window / 12
RULE_REFRESH = 240.0  # most seconds between two samples of an unchanged rule series (< 5m)
HOUR_DIVISORS = (60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600)


Run = tuple[int, int, str]  # a value's first instant (index), the index after its last, value


def recording_groups(rules: Path) -> list[dict[str, Any]]:
    """The recording groups to backfill: every group of ``rules``, and the error budgets'
    (``servicepulse.slo.*``) of the ``alerts.yml`` beside it, where they are generated.

    The forecast's groups of alerts.yml (``servicepulse.forecast.*``: Erlang B is a chain of
    one rule per agent, so as many passes) are evaluated live only (docs/forecast.md).
    """
    groups = list((yaml.safe_load(rules.read_text(encoding="utf-8")) or {}).get("groups", []))
    alerts = rules.with_name(ALERT_RULES)
    if alerts != rules and alerts.is_file():
        doc = yaml.safe_load(alerts.read_text(encoding="utf-8")) or {}
        groups += [
            g for g in doc.get("groups", []) if str(g.get("name", "")).startswith(BACKFILLED_GROUPS)
        ]
    return groups


def split_rules(rules: Path, work: Path) -> list[Path]:
    """The recording rules as passes: rules reading no recorded series first, then those
    reading only the first pass's, and so on (a range query cannot read what its own pass
    records): the error budget reads the objective, which reads the attainment, which reads
    the hourly counts: four passes."""
    groups = recording_groups(rules)
    recorded = {
        rule["record"] for group in groups for rule in group.get("rules", []) if "record" in rule
    }
    pattern = (
        re.compile(
            r"(?<![\w:])("
            + "|".join(re.escape(r) for r in sorted(recorded, key=len, reverse=True))
            + r")(?![\w:])"
        )
        if recorded
        else None
    )
    reads: dict[str, set[str]] = {}  # recorded name -> the recorded names its rules read
    for group in groups:
        for rule in group.get("rules", []):
            if "record" in rule:
                found = set(pattern.findall(str(rule.get("expr", "")))) if pattern else set()
                reads.setdefault(rule["record"], set()).update(found - {rule["record"]})
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            if name in seen:
                raise UserError(f"the recording rules read each other in a circle: {name}")
            inner = [depth_of(other, seen | {name}) for other in reads.get(name, ())]
            depth[name] = 1 + max(inner) if inner else 0
        return depth[name]

    passes: list[list[dict[str, object]]] = []
    for group in groups:
        by_pass: dict[int, list[object]] = {}
        for rule in group.get("rules", []):
            if "record" in rule:
                by_pass.setdefault(depth_of(rule["record"]), []).append(rule)
        for index, members in by_pass.items():
            while len(passes) <= index:
                passes.append([])
            passes[index].append({**group, "rules": members})
    files = []
    for index, pass_groups in enumerate(passes):
        if pass_groups:
            path = work / f"rules-pass{index + 1}.yml"
            path.write_text(
                yaml.safe_dump({"groups": pass_groups}, sort_keys=False), encoding="utf-8"
            )
            files.append(path)
    return files


# a series name (recorded names have colons) read with a range selector: x[5m], x{a="b"}[1h]
_RANGE_READ = re.compile(r"(?<![\w:])([A-Za-z_:][\w:]*)\s*(?:\{[^{}]*\})?\s*\[")
_DURATION = re.compile(r"\[(\d+)([smhdwy])(?::[^\]]*)?\]")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def longest_window(expr: str) -> float:
    """The longest range selector (``[7d]``) of an expression, in seconds; 0 without one."""
    return max((int(n) * _UNITS[u] for n, u in _DURATION.findall(expr)), default=0.0)


def evaluation_step(window: float, step: float) -> float:
    """How often a rule over ``window`` is evaluated: every ``step`` up to a 5 minutes'
    window; beyond, the longest divisor of an hour (a multiple of ``step``) at most
    ``window / HOUR_HOLD_SHARE`` up to an hour's window (5 min for 1h, 2 min for 30m) and
    ``window / HOLD_SHARE`` beyond (15 min for 1d, 1 h for 7d), its value held at every
    step until the next evaluation.

    A rule over an hour or a week read every minute scans an hour or a week of samples per
    series at every minute: most of a backfill's time for a figure whose window has moved
    by a twelfth (a ninety-sixth) of itself at most when it is next evaluated. The
    evaluation instants are multiples of the evaluation step from the epoch, so every
    hour, day and week boundary (the report's instants) is evaluated exactly."""
    if window <= SHORT_WINDOW or step >= 3600:
        return step
    share = HOUR_HOLD_SHARE if window <= 3600 else HOLD_SHARE
    longest = min(window / share, 3600.0)
    fits = [d for d in HOUR_DIVISORS if d <= longest and d % step == 0 and d >= step]
    return max(fits, default=step)


def rule_step(record: str, expr: str, step: float, dense: set[str]) -> float:
    """A rule's evaluation step: :func:`evaluation_step` of its longest window, but every
    ``step`` for a series other rules read over a range up to an hour's window (the error
    budgets' hourly counts, summed over 28 days by ``sum_over_time``: a value held 5
    minutes would count 5 times)."""
    window = longest_window(expr)
    if record in dense and window <= 3600:
        return step
    return evaluation_step(window, step)


class SpanFiles:
    """One OpenMetrics file per span of a batch, written family by family (a family's
    lines together, as OpenMetrics wants them)."""

    def __init__(self, work: Path, spans: list[int]) -> None:
        self.paths = {span: work / f"rules-{span}.om" for span in spans}
        self._files = {
            span: open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            for span, path in self.paths.items()
        }
        self._family = ""
        self._headed: set[int] = set()
        self._used: set[int] = set()  # spans with at least one family

    def family(self, name: str) -> None:
        self._family = name
        self._headed = set()

    def write(self, span: int, text: str) -> None:
        out = self._files[span]
        if span not in self._headed:
            self._headed.add(span)
            self._used.add(span)
            name = self._family
            out.write(f"# HELP {name} recording rule {name}\n# TYPE {name} gauge\n")
        out.write(text)

    def close(self) -> list[Path]:
        """The files with samples (the others deleted)."""
        for span, out in self._files.items():
            out.write("# EOF\n")
            out.close()
            if span not in self._used:
                self.paths[span].unlink()
        return [self.paths[span] for span in self.paths if span in self._used]

    def discard(self) -> None:
        for span, out in self._files.items():
            out.close()
            self.paths[span].unlink(missing_ok=True)


class Batch:
    """Whole spans evaluated together: ``instants`` every ``step`` from ``start`` to ``end``."""

    def __init__(self, spans: list[int], start: float, end: float, step: float) -> None:
        self.spans = spans
        self.start = start
        self.end = end
        self.step = step
        count = round((end - start) / step) + 1
        self.stamps = [" " + timestamp_text(start + i * step) + "\n" for i in range(count)]
        self.first = spans[0]

    def span_bounds(self) -> list[tuple[int, int, int]]:
        """(span, first index, end index) of each span's instants."""
        out = []
        for span in self.spans:
            lo = max(0, math.ceil((span * SPAN - self.start) / self.step))
            hi = min(len(self.stamps), math.ceil(((span + 1) * SPAN - self.start) / self.step))
            if lo < hi:
                out.append((span, lo, hi))
        return out


@dataclass
class Job:
    """Rules evaluated from the same answers over a batch: one rule, or the rules of one
    ``histogram_quantile`` shape differing only in their quantile (``quantiles.py``)."""

    rules: list[tuple[str, dict[str, Any], int]]  # (record, rule, refresh stride)
    every: float  # evaluation step
    shape: QuantileShape | None = None
    qs: tuple[float, ...] = ()


def chunks(batch: Batch, every: float) -> list[tuple[float, float]]:
    """(first, last) instant of each query over ``batch`` every ``every``: from the
    evaluation at or before the batch's start, at most ``MAX_POINTS`` instants each."""
    out = []
    first = math.floor(batch.start / every) * every
    while first <= batch.end:
        last = min(batch.end, first + (MAX_POINTS - 1) * every)
        out.append((first, last))
        first = last + every
    return out


def fetch_rule(url: str, rule: dict[str, Any], batch: Batch, every: float) -> list[Any]:
    """One rule over ``batch`` (:func:`chunks`): the series of each query."""
    results = []
    for first, last in chunks(batch, every):
        results.extend(query_range(url, str(rule["expr"]), first, last, every))
    return results


def fetch_job(url: str, job: Job, batch: Batch) -> list[list[Any]]:
    """Each rule's series over ``batch``: a quantile shape's buckets queried once, its
    quantiles computed here."""
    if job.shape is None:
        return [fetch_rule(url, job.rules[0][1], batch, job.every)]
    query, every = job.shape.query(), job.every
    results: list[list[Any]] = [[] for _ in job.qs]
    for first, last in chunks(batch, every):
        count = round((last - first) / every) + 1
        buckets = query_range(url, query, first, last, every)
        for result, more in zip(
            results, quantiles(job.qs, buckets, first, every, count), strict=True
        ):
            result.extend(more)
    return results


def plan(by_record: dict[str, list[dict[str, Any]]], step: float, dense: set[str]) -> list[Job]:
    """A pass's rules as jobs, in the rules' order: the ``histogram_quantile`` rules of one
    shape and evaluation step (each its record's only rule) together, every other rule
    alone."""
    jobs: list[Job] = []
    shared: dict[tuple[QuantileShape, float], Job] = {}
    for record, members in by_record.items():
        for rule in members:
            expr = str(rule["expr"])
            every = rule_step(record, expr, step, dense)
            stride = 1 if record in dense else refresh_stride(step)
            parsed = parse_quantile(expr) if len(members) == 1 else None
            if parsed is None:
                jobs.append(Job([(record, rule, stride)], every))
                continue
            q, shape = parsed
            job = shared.get((shape, every))
            if job is None:
                job = shared[(shape, every)] = Job([], every, shape)
                jobs.append(job)
            job.rules.append((record, rule, stride))
            job.qs += (q,)
    return jobs


def refresh_stride(step: float) -> int:
    """Instants between two samples of an unchanged rule series: the largest multiple of
    ``step`` up to ``RULE_REFRESH`` (1, every instant, from a step of 4 minutes on)."""
    return max(1, int(RULE_REFRESH // step))


def range_read(rules: Path) -> set[str]:
    """The recorded series some rule reads over a range (``delta(x[1h])``,
    ``sum_over_time(x[1d])``): in the recording rules and the whole ``alerts.yml`` beside
    them. These are written at every instant, as their readers count samples."""
    texts = [rules.read_text(encoding="utf-8")]
    alerts = rules.with_name(ALERT_RULES)
    if alerts != rules and alerts.is_file():
        texts.append(alerts.read_text(encoding="utf-8"))
    recorded = {
        str(rule["record"])
        for text in texts
        for group in (yaml.safe_load(text) or {}).get("groups", [])
        for rule in group.get("rules", [])
        if "record" in rule
    }
    read = {name for text in texts for name in _RANGE_READ.findall(text)}
    return recorded & read


def _runs(values: list[Any], start: float, step: float, hold: int, count: int) -> list[Run]:
    """A series' evaluations ``[t, value]`` as runs of one value over consecutive instants:
    (first index, index after the last, value); each evaluation holds ``hold`` instants."""
    runs: list[Run] = []
    first, end, held = 0, -1, None  # the run being extended
    for t, value in values:
        lo = round((t - start) / step)
        hi = lo + hold
        if lo < 0:
            lo = 0
        if hi > count:
            hi = count
        if lo >= hi:
            continue
        if end == lo and value == held:
            end = hi
            continue
        if held is not None:
            runs.append((first, end, held))
        first, end, held = lo, hi, value
    if held is not None:
        runs.append((first, end, held))
    return runs


def _kept(
    stamps: list[str], lo: int, hi: int, a: int, b: int, stride: int, first: int
) -> list[str]:
    """The stamps within ``[a, b)`` written for a run over instants ``[lo, hi)``: its first
    and last instant, and the refresh instants between (every ``stride``-th from
    ``first``, the first refresh index after ``lo``)."""
    kept = []
    if a <= lo < b:
        kept.append(stamps[lo])
    begin = max(first, a)
    begin += (first - begin) % stride
    kept.extend(stamps[begin : min(hi - 1, b) : stride])
    if lo < hi - 1 and a <= hi - 1 < b:
        kept.append(stamps[hi - 1])
    return kept


def write_rule(
    rule: dict[str, Any],
    batch: Batch,
    files: SpanFiles,
    every: float,
    results: list[Any],
    stride: int = 1,
) -> int:
    """A rule's series into the batch's span files, each value held until the next
    evaluation; the samples written.

    A value is written at the first and last instant it holds and every ``stride``
    instants between (``stride`` 1: at every instant). An instant query at any time then
    sees what it sees with a sample at every instant (the newest sample holds the same
    value and is under the 5-minute lookback old; a series that ends is last written at
    its last instant), so boards, the report and the rules reading this one with instant
    selectors get the same figures; only readers over a range (``delta``,
    ``*_over_time``) would see fewer samples, and their series get ``stride`` 1
    (:func:`range_read`, docs/history.md)."""
    record = rule["record"]
    extra = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    step = batch.step
    hold = round(every / step)
    stamps = batch.stamps
    count = len(stamps)
    # refresh instants: multiples of stride x step from the epoch (batch.start is one of step)
    offset = -round(batch.start / step) % stride
    bounds = batch.span_bounds()
    written = 0
    for series in results:
        labels = {**series["metric"], **extra}
        labels.pop("__name__", None)
        prefix = series_text(record, sorted(labels.items())) + " "
        runs = _runs(series["values"], batch.start, step, hold, count)
        at = 0
        for span, span_lo, span_hi in bounds:
            chunks = []
            while at < len(runs) and runs[at][1] <= span_lo:
                at += 1
            scan = at
            while scan < len(runs) and runs[scan][0] < span_hi:
                lo, hi, value = runs[scan]
                first = lo + 1 + (offset - lo - 1) % stride
                kept = _kept(stamps, lo, hi, span_lo, span_hi, stride, first)
                if kept:
                    chunks.append((prefix + value).join(["", *kept]))
                    written += len(kept)
                scan += 1
            if chunks:
                files.write(span, "".join(chunks))
    return written


def evaluate_batch(
    url: str, jobs: list[Job], batch: Batch, files: SpanFiles,
    progress: Callable[[], None],
) -> None:  # fmt: skip
    """Every rule of ``jobs`` over ``batch``, each record's series together;
    ``QUERIES_AT_ONCE`` jobs in flight (Prometheus evaluates them on as many cores)."""
    queue = iter(jobs)
    pending: deque[tuple[Job, Future[list[list[Any]]]]] = deque()
    with ThreadPoolExecutor(max_workers=QUERIES_AT_ONCE) as pool:

        def submit() -> None:
            job = next(queue, None)
            if job is not None:
                pending.append((job, pool.submit(fetch_job, url, job, batch)))

        for _ in range(QUERIES_AT_ONCE):
            submit()
        current = None
        try:
            while pending:
                job, future = pending.popleft()
                answers = future.result()
                submit()
                for (record, rule, stride), results in zip(job.rules, answers, strict=True):
                    if record != current:
                        files.family(record)
                        current = record
                    write_rule(rule, batch, files, job.every, results, stride)
                    progress()
        finally:
            for _, future in pending:
                future.cancel()


def batches(spans: list[int], start: float, end: float, step: float) -> list[Batch]:
    """The sampled spans in runs of consecutive spans, each cut into batches of whole spans
    of at most ``MAX_POINTS`` instants (one span when a span alone has more)."""
    per_batch = max(1, int(MAX_POINTS * step // SPAN))
    out: list[Batch] = []
    run: list[int] = []
    for span in sorted(set(spans)):
        if run and (span != run[-1] + 1 or len(run) == per_batch):
            out.append(_batch(run, start, end, step))
            run = []
        run.append(span)
    if run:
        out.append(_batch(run, start, end, step))
    return [b for b in out if b.start <= b.end]


def _batch(run: list[int], start: float, end: float, step: float) -> Batch:
    first = max(start, math.ceil(run[0] * SPAN / step) * step)
    last = min(end, math.ceil((run[-1] + 1) * SPAN / step) * step - step)
    return Batch(run, first, last, step)


def load_passes(rules: Path, work: Path) -> list[dict[str, list[dict[str, Any]]]]:
    """Each pass's rules by record (:func:`split_rules`)."""
    loaded = []
    for rule_file in split_rules(rules, work):
        groups = (yaml.safe_load(rule_file.read_text(encoding="utf-8")) or {}).get("groups", [])
        by_record: dict[str, list[dict[str, Any]]] = {}
        for group in groups:
            for rule in group.get("rules", []):
                by_record.setdefault(rule["record"], []).append(rule)
        loaded.append(by_record)
    return loaded


def _evaluate_batches(
    prometheus: TemporaryPrometheus, jobs: list[Job], todo: list[Batch], work: Path,
    maker: BlockQueue, one_more: Callable[[str], None], label: str,
) -> None:  # fmt: skip
    for batch in todo:
        stamp = f"{label}, {datetime.fromtimestamp(batch.start, UTC):%Y-%m-%d}"
        files = SpanFiles(work, batch.spans)
        try:
            evaluate_batch(prometheus.url, jobs, batch, files, partial(one_more, stamp))
        except BaseException:
            files.discard()
            raise
        for path in files.close():
            maker.put(path)


class RulesAhead:
    """The first pass of the rules over the batches whose raw blocks are made, while the
    raw phase goes on (on a thread: the temporary Prometheus and promtool use the second
    core the raw phase leaves idle); :func:`backfill_rules` does the rest.

    A batch is evaluated once its spans' blocks are made and a later span's too (its
    bounds are then those :func:`batches` gives at the end), with a temporary Prometheus
    started on the raw blocks made so far: a rule at an instant reads no later sample.
    """

    def __init__(self, out: Path, work: Path, rules: Path, step: float) -> None:
        self.out, self.work, self.step = out, work / "ahead", step
        self.work.mkdir()
        first = load_passes(rules, self.work)[:1]
        self.jobs = plan(first[0], step, range_read(rules)) if first else []
        self.rules = sum(len(members) for members in first[0].values()) if first else 0
        self.staged = work / "rule-blocks-1"
        self.staged.mkdir()
        self.done: set[tuple[int, ...]] = set()  # the spans of each batch evaluated
        self.queries = 0  # rules evaluated over a batch so far (what the progress counts)
        self._made: list[int] = []
        self._start = 0.0
        self._wake = threading.Condition()
        self._closed = False
        self._error: BaseException | None = None
        self._maker = BlockQueue(self.staged)
        self._thread = threading.Thread(target=self._run, name="rules-ahead", daemon=True)
        self._thread.start()

    def span_made(self, span: int, start: float) -> None:
        """The raw block of ``span`` is made (the sampler's first instant: ``start``)."""
        with self._wake:
            self._made.append(span)
            self._start = start
            self._wake.notify()

    def _ready(self) -> list[Batch]:
        """Batches of made spans followed by a made span, not evaluated yet."""
        made = sorted(set(self._made))
        closed = batches(made, self._start, math.inf, self.step)[:-1]
        return [b for b in closed if tuple(b.spans) not in self.done]

    def _run(self) -> None:
        try:
            while self.jobs:
                with self._wake:
                    while not self._closed and not self._ready():
                        self._wake.wait()
                    if self._closed:
                        return
                    todo = self._ready()
                prometheus = TemporaryPrometheus([self.out], self.work)
                try:
                    _evaluate_batches(
                        prometheus, self.jobs, todo, self.work, self._maker, self._count,
                        "pass 1",
                    )  # fmt: skip
                finally:
                    prometheus.stop()
                self.done.update(tuple(b.spans) for b in todo)
        except BaseException as exc:  # raised by finish(), in the caller's thread
            self._error = exc

    def _count(self, stamp: str) -> None:
        self.queries += 1  # this thread only writes it; the caller's only reads it

    def finish(self, waiting: Callable[[int], None] | None = None) -> None:
        """Stop taking batches, wait for the one being evaluated and its blocks;
        ``waiting(queries)`` twice a second meanwhile (a batch may take minutes)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        while self._thread.is_alive():
            self._thread.join(WAIT_SHOWN)
            if waiting is not None:
                waiting(self.queries)
        if self._error is not None:
            self.abort()
            raise self._error
        self._maker.wait()
        self._maker.abort()

    def abort(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join()
        self._maker.abort()


def backfill_rules(
    out: Path,
    work: Path,
    rules: Path,
    spans: list[int],
    start: float,
    end: float,
    step: float,
    progress: Progress | None = None,
    ahead: RulesAhead | None = None,
) -> int:
    """Rule blocks for the sampled ``spans`` (18 h each, within ``[start, end]``) into
    ``out``, one per span and pass; returns how many.

    The temporary Prometheus evaluates each rule with ``query_range`` over as many whole
    spans at once as ``MAX_POINTS`` allows (a month at 60 s is a few queries per rule, not
    one per rule per span), rules over long windows at a longer evaluation step
    (:func:`evaluation_step`); the results go through the same OpenMetrics -> promtool
    path as the raw series. Only the spans the raw series were sampled in are evaluated: a
    stretch the backfill skipped costs nothing here either. The batches of the first pass
    ``ahead`` evaluated during the raw phase are not evaluated again.
    """
    before = block_names(out)
    dense = range_read(rules)
    todo = batches(spans, start, end, step)
    loaded = load_passes(rules, work)
    rule_count = sum(len(members) for by_record in loaded for members in by_record.values())
    skipped: set[tuple[int, ...]] = set()
    if progress is not None:
        already = ahead.queries if ahead is not None else 0  # done during the raw phase
        progress.phase("backfill: recording rules", rule_count * len(todo), "queries", already)

    def waiting(queries: int) -> None:
        if progress is not None:
            progress.update(queries, "pass 1: the batch begun during the raw phase")

    if ahead is not None:
        ahead.finish(waiting)
        skipped = ahead.done
    done = len([b for b in todo if tuple(b.spans) in skipped]) * (ahead.rules if ahead else 0)

    def one_more(stamp: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress.update(done, stamp)

    for index, by_record in enumerate(loaded):
        staged = work / f"rule-blocks-{index + 1}"
        staged.mkdir(exist_ok=True)  # the first pass's: where the ahead's went
        left = [b for b in todo if index > 0 or tuple(b.spans) not in skipped]
        if left:
            maker = BlockQueue(staged)
            prometheus = TemporaryPrometheus([out], work)
            try:
                jobs = plan(by_record, step, dense)
                _evaluate_batches(
                    prometheus, jobs, left, work, maker, one_more, f"pass {index + 1}"
                )
                maker.wait()
            finally:
                maker.abort()
                prometheus.stop()
        for name in block_names(staged):  # the next pass reads these too
            shutil.move(str(staged / name), str(out / name))
    if progress is not None:
        progress.done(f"{len(block_names(out) - before)} rule blocks")
    return len(block_names(out) - before)
