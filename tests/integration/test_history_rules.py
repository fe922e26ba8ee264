"""The recording rules a backfill writes, read back by a real Prometheus, equal that
Prometheus evaluating the same expressions over the backfilled raw series (docs/history.md,
"Rule series where they change"): at every instant for the rules evaluated every step, at
each evaluation instant (and held until the next) for the rules over long windows; a rule
series is written at its changes and every 4 minutes between, except the ones other rules
read over a range, written at every instant."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from streams.core.policy import load_policies
from streams.history import rules as rules_module
from streams.history.backfill import backfill_events
from streams.history.blocks import SPAN
from streams.history.source import history_lines
from streams.simulator import ContactCentre, SimConfig
from tests.integration.test_history import prometheus_on

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        shutil.which("promtool") is None or shutil.which("prometheus") is None,
        reason="needs prometheus and promtool on PATH",
    ),
]

START = 1_793_577_600.0  # 2026-11-02 00:00 UTC, a Monday
HOURS = 30  # past a day, so the 1d rule is evaluated every 15 minutes over a full window
END = START + HOURS * 3600
STEP = 60

RAW_OPEN = "sum by (team) (servicepulse_open_tickets)"
RAW_ATTAINMENT = (
    '(sum by (team) (rate(servicepulse_sla_outcomes_total{outcome="met"}[5m]))'
    " or 0 * sum by (team) (rate(servicepulse_sla_outcomes_total[5m])))"
    " / (sum by (team) (rate(servicepulse_sla_outcomes_total[5m])) > 0)"
)
RAW_P50, RAW_P90 = (
    f"histogram_quantile({q},"
    " sum by (team, le) (rate(servicepulse_first_response_seconds_bucket[1h])))"
    " and on (team) (sum by (team) (rate(servicepulse_first_response_seconds_count[1h])) > 0)"
    for q in (0.5, 0.9)
)
RAW_CREATED_1D = "sum by (team) (increase(servicepulse_tickets_created_total[1d]))"
# record -> (expression as in the rules file, the same over raw series only, evaluated every)
RULES: dict[str, tuple[str, str, int]] = {
    "team:open:sum": (RAW_OPEN, RAW_OPEN, STEP),
    "team:attainment:ratio_rate5m": (RAW_ATTAINMENT, RAW_ATTAINMENT, STEP),
    # a pair of quantiles: one query of the buckets, the quantiles computed by the backfill;
    # over an hour: evaluated every 1h / 12 = 5 min
    "team:first_response:p50_rate1h": (RAW_P50, RAW_P50, 300),
    "team:first_response:p90_rate1h": (RAW_P90, RAW_P90, 300),
    "team:created:increase1d": (RAW_CREATED_1D, RAW_CREATED_1D, 900),  # 1d / 96 = 15 min
    # reads a rule at an instant: the same as reading its expression over the raw series
    "all:open:sum": ("sum(team:open:sum)", f"sum({RAW_OPEN})", STEP),
    # reads a rule over a range: that rule is written at every instant; over an hour: every 5 min
    "team:open:delta1h": ("delta(team:open:sum[1h])", "delta(team:open:sum[1h])", 300),
}


def rules_file() -> str:
    lines = ["groups:", "  - name: test", "    rules:"]
    for record, (expr, _raw, _every) in RULES.items():
        lines += [f"      - record: {record}", f"        expr: {json.dumps(expr)}"]
    return "\n".join(lines) + "\n"


def query_range(
    url: str, expr: str, start: float, end: float, step: int
) -> dict[str, dict[float, str]]:
    params = urllib.parse.urlencode(
        {"query": expr, "start": str(start), "end": str(end), "step": f"{step}s"}
    )
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=120) as response:
        body = json.load(response)
    # values as Prometheus writes them: the same float prints the same
    return {
        r["metric"].get("team", "all"): {float(t): v for t, v in r["values"]}
        for r in body["data"]["result"]
    }


@pytest.fixture(scope="module", params=["cli", "ahead"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus on a backfill of the history: by the command line, or in this process
    with one span a batch, so that the first pass of the first batches is evaluated while
    the raw phase goes on (``RulesAhead``) and the rest after it."""
    tmp = tmp_path_factory.mktemp("rules")
    config = SimConfig(seed=5, arrivals_per_hour=40.0)
    events = list(ContactCentre(config, START).events(until=END - 1))
    history = tmp / "history.jsonl"
    history.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    rules = tmp / "rules.yml"
    rules.write_text(rules_file())
    blocks = tmp / "blocks"
    if request.param == "cli":
        result = subprocess.run(
            [
                *(sys.executable, "-m", "streams.cli", "backfill", str(history)),
                *("--out", str(blocks), "--step", f"{STEP}s", "--rules", str(rules)),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stderr
    else:
        ahead: list[tuple[int, ...]] = []
        finish = rules_module.RulesAhead.finish

        def finishing(
            self: rules_module.RulesAhead, waiting: Callable[[int], None] | None = None
        ) -> None:
            # the raw phase may end while the thread still evaluates the first batch (a
            # loaded machine): let it take the second, which is ready by now, before closing
            deadline = time.monotonic() + 300
            while len(self.done) < 2 and self._thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            finish(self, waiting)
            ahead.extend(self.done)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rules_module, "MAX_POINTS", round(SPAN / STEP))  # a span a batch
            patch.setattr(rules_module.RulesAhead, "finish", finishing)
            backfill_events(history_lines(str(history)), load_policies(None), blocks, STEP,
                            rules=rules)  # fmt: skip
        # 30 hours from a Monday 00:00 UTC: 3 spans of 18 h (epoch-aligned), the first
        # two evaluated ahead
        assert len(ahead) == 2, ahead
    with prometheus_on(Path(blocks), "team:open:sum", START + 3600) as prometheus:
        yield prometheus


# the instants compared: from the second hour (the 1h rules over a full window) to the end
FROM, TO = START + 3600, END - 2 * STEP
LOOKBACK = 300  # an instant query sees a series' newest sample up to 5 minutes old (included)


@pytest.mark.parametrize("record", list(RULES))
def test_a_rule_series_equals_its_expression_over_the_raw_series(url: str, record: str) -> None:
    _expr, raw, every = RULES[record]
    written = query_range(url, record, FROM, TO, STEP)
    evaluated = query_range(url, raw, START, TO, STEP)
    assert evaluated  # the expression has values to compare
    for team in evaluated.keys() | written.keys():
        mine, theirs = written.get(team, {}), evaluated.get(team, {})
        last: tuple[float, str] | None = None  # the newest evaluation present
        for i in range(round((TO - FROM) / STEP) + 1):
            t = FROM + i * STEP
            held = math.floor(t / every) * every  # a long window's rule: its last evaluation
            if held in theirs:
                last = (t, theirs[held])
                assert mine.get(t) == theirs[held], (record, team, t)
            elif last is not None and t - last[0] <= LOOKBACK:
                # the expression has no value: the series' last sample is still seen
                assert mine.get(t) in (None, last[1]), (record, team, t)
            else:
                assert t not in mine, (record, team, t)


def test_a_rule_series_is_written_at_its_changes_and_every_four_minutes_between(
    url: str,
) -> None:
    # the samples of the hour before END - 3 h (60 instants at 60 s): every instant for
    # the rule read over a range; for the 1d rule (a new value every 15 min), at least the
    # 15 multiples of 4 minutes in the hour, and fewer than every instant
    at = END - 3 * 3600
    samples = {
        record: query_range(url, f"count_over_time({record}[3599s])", at, at, STEP)
        for record in ("team:open:sum", "team:created:increase1d")
    }
    assert samples["team:open:sum"]
    for values in samples["team:open:sum"].values():
        assert values[at] == "60"
    assert samples["team:created:increase1d"]
    for values in samples["team:created:increase1d"].values():
        assert 15 <= float(values[at]) < 60
