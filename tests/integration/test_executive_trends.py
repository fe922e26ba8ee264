"""The executive board's 12-week trends over a backfilled history of 15 weeks, in a real
Prometheus (and through a real Grafana's query API when one is built): whatever week the board
is on — the last 7 days, a past calendar week picked as an absolute range or as a relative one
— each trend has one bar per complete ISO week, the 12 that ended by the end of the range.

The history is written here so that each week's figures are known without any computation
of the code under test: week ``i`` has ``CREATED[i]`` tickets, from Monday 00:30 to Sunday
23:30, and ``GOOD[i]`` CSAT answers of 5 beside two of 2.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

import dashboards

pytestmark = pytest.mark.prometheus

WEEK = 7 * 86400.0
HOUR = 3600.0
START = datetime(2026, 6, 1, tzinfo=UTC).timestamp()  # Monday of ISO week 2026-W23
WEEKS = 15
THURSDAY = START + 3 * 86400  # the point of week 0: Grafana's and Prometheus's 1w steps
CREATED = [14 + 3 * i for i in range(WEEKS)]  # 14, 17, ... 56: no two weeks alike
GOOD = [1 + i % 4 for i in range(WEEKS)]  # CSAT answers scoring 5; two more score 2
BAD_ANSWERS = 2


def history() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def emit(at: float, ticket: str, type_: str, **fields: Any) -> None:
        stamp = datetime.fromtimestamp(at, UTC).isoformat()
        events.append({"event_id": f"e{len(events)}", "type": type_, "ticket_id": ticket,
                       "ts": stamp, **fields})  # fmt: skip

    for week in range(WEEKS):
        first, last = START + week * WEEK + 0.5 * HOUR, START + (week + 1) * WEEK - 0.5 * HOUR
        n = CREATED[week]
        for k in range(n):
            at = first + k * (last - first) / (n - 1)
            ticket = f"w{week}-{k}"
            emit(at, ticket, "ticket.created", team="t1", channel="email", priority="normal",
                 customer_id=f"c{k}")  # fmt: skip
            if k < GOOD[week] + BAD_ANSWERS:
                score = 5 if k < GOOD[week] else 2
                emit(at + 60, ticket, "survey.response", kind="csat", score=score)
    # two tickets after the last week, so that its end has a sample (the engine's clock moves
    # ahead once a second event confirms the jump)
    end = START + WEEKS * WEEK
    for k, at in enumerate((end + HOUR, end + 1.5 * HOUR)):
        emit(at, f"after-{k}", "ticket.created", team="t1", channel="email", priority="normal",
             customer_id="c-after")  # fmt: skip
    events.sort(key=lambda e: e["ts"])
    return events


def trend_query(title: str) -> str:
    board = dashboards.build_all()["executive-weekly.json"]
    panel = next(p for p in dashboards.iter_panels(board) if p.get("title") == title)
    (target,) = panel["targets"]
    assert target["instant"] is True  # evaluated once, at the board's "to"
    return str(target["expr"])


def query(url: str, expr: str, at: float) -> list[dict[str, Any]]:
    params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=60) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return list(body["data"]["result"])


@contextlib.contextmanager
def prometheus_on(data: Path, at: float) -> Iterator[str]:
    from tests.processes import free_port

    config = data.parent / "prometheus.yml"
    config.write_text("global: {}\n")
    port = free_port()
    with open(data.parent / "prometheus.log", "wb") as log:
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
             "--storage.tsdb.retention.time=10y", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    if query(url, "count(servicepulse_tickets_created_total)", at):
                        break
                assert time.monotonic() < deadline, "Prometheus never had the blocks"
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        pytest.skip("needs prometheus and promtool on PATH")
    tmp = tmp_path_factory.mktemp("trends")
    jsonl = tmp / "history.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in history()))
    blocks = tmp / "blocks"
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "backfill", str(jsonl), "--out", str(blocks),
         "--step", "1h", "--no-rules"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert " 0 rejected" in result.stderr, result.stderr
    with prometheus_on(blocks, START + WEEKS * WEEK) as url:
        yield url


def bars(series: list[dict[str, Any]]) -> dict[int, float]:
    """week index -> value, from the one series of points at the weeks' Thursdays."""
    (only,) = series
    out = {}
    for t, v in only["values"]:
        week, rest = divmod(float(t) - THURSDAY, WEEK)
        assert rest == 0, f"a point at {t}, not on a Thursday 00:00"
        out[int(week)] = float(v)
    return out


# the board's "to" -> the weeks it shows (12, those ended by "to" + 1 ms)
ENDS = {
    # a past calendar week picked as an absolute range, or "now-Nw/w": Sunday 23:59:59.999
    "the calendar week 10, absolute or relative": (START + 11 * WEEK - 0.001, range(0, 11)),
    "the calendar week 13": (START + 14 * WEEK - 0.001, range(2, 14)),
    # "last 7 days" on the Thursday of week 14: week 13 is the last complete one
    "the last 7 days in week 14": (START + 14 * WEEK + 3.7 * 86400, range(2, 14)),
    # the first instant of week 14: week 13 has just ended
    "Monday 00:00 of week 14": (START + 14 * WEEK, range(2, 14)),
    # after the history: the last 12 weeks of it, nothing for the weeks without data
    "two weeks after the history": (START + (WEEKS + 2) * WEEK, range(5, 15)),
}


@pytest.mark.parametrize("case", sorted(ENDS))
def test_contacts_per_week_are_the_12_weeks_ended_by_the_end_of_the_range(
    backfilled: str, case: str
) -> None:
    end, weeks = ENDS[case]
    got = bars(query(backfilled, trend_query("Contacts per week"), end))
    assert got == {i: float(CREATED[i]) for i in weeks if i < WEEKS}


@pytest.mark.parametrize("case", sorted(ENDS))
def test_csat_per_week_is_each_weeks_own_share(backfilled: str, case: str) -> None:
    end, weeks = ENDS[case]
    got = bars(query(backfilled, trend_query("CSAT per week"), end))
    # week i: GOOD[i] fives out of GOOD[i] + 2 answers, e.g. week 2: 3 / 5 = 60 %
    expected = {i: GOOD[i] / (GOOD[i] + BAD_ANSWERS) for i in weeks if i < WEEKS}
    assert got == pytest.approx(expected, abs=1e-12)


def tile(title: str) -> dict[str, str]:
    board = dashboards.build_all()["executive-weekly.json"]
    panel = next(p for p in dashboards.iter_panels(board) if p.get("title") == title)
    return {t["refId"]: t["expr"] for t in panel["targets"]}


def as_calendar_week(expr: str, week: int) -> tuple[str, float]:
    """``expr`` as Grafana sends it for calendar week ``week`` (Monday 00:00 to Sunday
    23:59:59.999): the range in ms, the instant query at its end."""
    return expr.replace("${__range_ms}", str(int(WEEK * 1000) - 1)), START + (
        week + 1
    ) * WEEK - 0.001


def test_a_share_of_fewer_than_20_answers_shows_its_n_and_no_change(backfilled: str) -> None:
    """CSAT rests on GOOD[i] + 2 answers a week (3 to 6): under 20, so no change beside it;
    the contacts, their own sample, have theirs."""
    csat = tile("CSAT")
    got = {}
    for ref in "ABCD":
        expr, at = as_calendar_week(csat[ref], 10)
        got[ref] = query(backfilled, expr, at)
    # week 10: GOOD = 3, so 3 / 5; week 9: GOOD = 2, so 2 / 4
    assert float(got["A"][0]["value"][1]) == pytest.approx(3 / 5)
    assert float(got["B"][0]["value"][1]) == pytest.approx(2 / 4)
    assert got["C"] == []  # 5 and 4 answers: no change
    assert float(got["D"][0]["value"][1]) == 5  # n
    contacts = tile("Contacts")
    expr, at = as_calendar_week(contacts["C"], 10)
    (change,) = query(backfilled, expr, at)
    assert float(change["value"][1]) == CREATED[10] - CREATED[9] == 3  # 44 - 41
    assert change["metric"]["arrow"] == "▲"


def test_a_range_before_any_complete_week_has_no_bar(backfilled: str) -> None:
    assert query(backfilled, trend_query("Contacts per week"), START + 3 * 86400) == []


# ---- through Grafana's query API (the backend the boards' panels call) ----------------------


@pytest.mark.grafana
def test_grafana_gives_the_same_bars_for_a_past_calendar_week(
    backfilled: str, tmp_path: Path
) -> None:
    """Grafana's /api/ds/query with the board's instant query and a past absolute range
    answers one frame with a point per week (the bar chart's x axis), weeks 2..13."""
    from tests.integration.test_dashboards import start_grafana
    from tests.processes import stop

    provisioning = tmp_path / "provisioning"
    for sub in ("datasources", "dashboards", "plugins", "alerting", "notifiers"):
        (provisioning / sub).mkdir(parents=True)
    (provisioning / "datasources" / "prom.yml").write_text(
        "apiVersion: 1\ndatasources:\n  - name: ServicePulse Prometheus\n    type: prometheus\n"
        f"    uid: {dashboards.PROMETHEUS_UID}\n    url: {backfilled}\n    access: proxy\n"
    )
    proc, g = start_grafana(tmp_path, provisioning)
    try:
        end = START + 14 * WEEK - 0.001  # week 13 picked in the time picker
        body = {
            "from": str(int((START + 13 * WEEK) * 1000)),
            "to": str(int(end * 1000)),
            "queries": [
                {
                    "refId": "A",
                    "datasource": {"type": "prometheus", "uid": dashboards.PROMETHEUS_UID},
                    "expr": trend_query("Contacts per week"),
                    "instant": True,
                    "range": False,
                }
            ],
        }
        import base64

        request = urllib.request.Request(
            g["url"] + "/api/ds/query", data=json.dumps(body).encode(), method="POST"
        )
        token = base64.b64encode(f"{g['user']}:{g['password']}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
    finally:
        stop([proc])
    (frame,) = answer["results"]["A"]["frames"]
    times, values = frame["data"]["values"]
    got = {int((t / 1000 - THURSDAY) // WEEK): v for t, v in zip(times, values, strict=True)}
    assert got == {i: float(CREATED[i]) for i in range(2, 14)}
