"""A simulated multi-week history, backfilled into a real Prometheus, gives the weekly figures
computed independently from the events; the weekly report shows them and arrives by mail."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.core.events import parse_ts
from streams.simulator import ContactCentre, SimConfig
from tests.datasets import SERVICENOW, SERVICENOW_POLICY, servicenow_events
from tests.filesystems import own_filesystem
from tests.processes import free_port

pytestmark = pytest.mark.prometheus

W44 = datetime(2026, 10, 26, tzinfo=UTC).timestamp()  # Monday of ISO week 2026-W44
WEEK = 7 * 86400.0
WEEKS = ("2026-W44", "2026-W45", "2026-W46")
TARGET = 3600.0  # the test policy: first response within 1 h, round the clock
POLICY = """\
policies:
  - name: round-the-clock
    match: {}
    calendar: always
    targets: {first_response: 1h}
"""


# ---- the figures, from the events alone --------------------------------------------------


def week_of(t: float) -> int | None:
    """Index of the week an instant counts in: (start, end], as a sample at the end sees it."""
    for index in range(len(WEEKS)):
        if W44 + index * WEEK < t <= W44 + (index + 1) * WEEK:
            return index
    return None


def independent_figures(events: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, int]]:
    """(week, team) -> created, csat_good, csat_all, met, breached.

    A ticket's team is the created one, changed by each transfer. The first-response clock
    (24x7, 1 h) is met by the first public agent message, or a resolution or close before
    it, within 1 h; it is breached at created + 1 h when none came by then; an abandoned
    contact stops it without an outcome.
    """
    figures: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    team: dict[str, str] = {}
    created: dict[str, float] = {}
    waiting: set[str] = set()

    def count(t: float, who: str, name: str) -> None:
        week = week_of(t)
        if week is not None:
            figures[(week, who)][name] += 1

    def breaches_before(t: float) -> None:
        for ticket in [k for k in waiting if created[k] + TARGET < t]:
            waiting.discard(ticket)
            count(created[ticket] + TARGET, team[ticket], "breached")

    for event in events:
        t, kind, ticket = parse_ts(event["ts"]), event["type"], event["ticket_id"]
        breaches_before(t)
        if kind == "ticket.created":
            team[ticket], created[ticket] = event["team"], t
            waiting.add(ticket)
            count(t, event["team"], "created")
        elif kind == "ticket.transferred":
            team[ticket] = event["to_team"]
        elif kind == "ticket.status" and ticket in waiting:
            raise AssertionError("the simulator paused a ticket before its first response")
        elif ticket in waiting and (
            (kind == "message.agent" and event.get("public", True))
            or kind in ("ticket.resolved", "ticket.closed")
        ):
            waiting.discard(ticket)
            count(t, team[ticket], "met" if t <= created[ticket] + TARGET else "breached")
        elif kind == "contact.abandoned":
            waiting.discard(ticket)
        elif kind == "survey.response" and event["kind"] == "csat":
            count(t, team[ticket], "csat_all")
            if event["score"] >= 4:
                count(t, team[ticket], "csat_good")
    breaches_before(W44 + len(WEEKS) * WEEK + 1)
    return figures


def weekly(
    figures: dict[tuple[int, str], dict[str, int]], week: int, team: str
) -> dict[str, float]:
    f = figures[(week, team)]
    return {
        "volume": f["created"],
        "csat": f["csat_good"] / f["csat_all"],
        "sla": f["met"] / (f["met"] + f["breached"]),
    }


# ---- the history, the blocks, the Prometheus ---------------------------------------------------


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        pytest.skip("needs prometheus and promtool on PATH")
    tmp = tmp_path_factory.mktemp("history")
    config = SimConfig(seed=11, arrivals_per_hour=30.0)
    end = W44 + len(WEEKS) * WEEK
    events = list(ContactCentre(config, W44).events(until=end - 1))
    jsonl = tmp / "history.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    policy = tmp / "policy.yml"
    policy.write_text(POLICY)
    blocks = tmp / "blocks"
    command = [sys.executable, "-m", "streams.cli", "backfill", str(jsonl), "--out", str(blocks)]
    result = subprocess.run(
        [*command, "--policy", str(policy), "--step", "1h", "--no-rules"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    assert " 0 rejected" in result.stderr
    data = tmp / "prometheus"
    shutil.copytree(blocks, data)
    with prometheus_on(data, "count(servicepulse_tickets_created_total)", end) as url:
        yield {"url": url, "events": events, "figures": independent_figures(events), "tmp": tmp}


def query(url: str, expr: str, at: float) -> dict[str, float]:
    params = urllib.parse.urlencode({"query": expr, "time": str(at)})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=30) as response:
        body = json.load(response)
    return {r["metric"].get("team", "all"): float(r["value"][1]) for r in body["data"]["result"]}


@contextlib.contextmanager
def prometheus_on(data: Path, ready: str, at: float) -> Iterator[str]:
    """A Prometheus on the blocks in ``data`` (retention 10y, log beside ``data``), once the
    instant query ``ready`` at ``at`` has an answer; its URL. Stopped afterwards."""
    config = data.parent / f"{data.name}.prometheus.yml"
    config.write_text("global: {}\n")
    port = free_port()
    with open(data.parent / f"{data.name}.prometheus.log", "wb") as log:
        proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=10y",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if query(url, ready, at):
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"Prometheus never answered {ready}"
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def week_delta(url: str, selector: str, week: int) -> dict[str, float]:
    """The week's increase per team, through the HTTP API: value at its end minus its start."""
    expr = f"sum by (team) ({selector})"
    end = query(url, expr, W44 + (week + 1) * WEEK)
    start = query(url, expr, W44 + week * WEEK)
    return {team: value - start.get(team, 0.0) for team, value in end.items()}


def prometheus_weekly(url: str, week: int) -> dict[str, dict[str, float]]:
    created = week_delta(url, "servicepulse_tickets_created_total", week)
    good = week_delta(url, 'servicepulse_survey_responses_total{kind="csat",score=~"4|5"}', week)
    answers = week_delta(url, 'servicepulse_survey_responses_total{kind="csat"}', week)
    met = week_delta(url, 'servicepulse_sla_outcomes_total{outcome="met"}', week)
    breached = week_delta(url, 'servicepulse_sla_outcomes_total{outcome="breached"}', week)
    return {
        team: {
            "volume": created[team],
            "csat": good.get(team, 0.0) / answers[team],
            "sla": met.get(team, 0.0) / (met.get(team, 0.0) + breached.get(team, 0.0)),
        }
        for team in created
    }


TEAMS = ("billing", "sales", "technical")


def test_backfilled_weeks_give_the_weekly_volume_csat_and_sla_attainment_of_the_events(
    history: dict[str, Any],
) -> None:
    for week in (1, 2):
        from_prometheus = prometheus_weekly(history["url"], week)
        for team in TEAMS:
            expected = weekly(history["figures"], week, team)
            got = from_prometheus[team]
            assert got["volume"] == expected["volume"], (week, team)
            assert got["csat"] == pytest.approx(expected["csat"], abs=1e-12), (week, team)
            assert got["sla"] == pytest.approx(expected["sla"], abs=1e-12), (week, team)
            assert expected["volume"] > 200 and 0 < expected["sla"] < 1


def test_the_week_over_week_change_is_the_difference_of_the_independent_weeks(
    history: dict[str, Any],
) -> None:
    this, before = prometheus_weekly(history["url"], 2), prometheus_weekly(history["url"], 1)
    for team in TEAMS:
        now, then = weekly(history["figures"], 2, team), weekly(history["figures"], 1, team)
        for figure in ("volume", "csat", "sla"):
            change = this[team][figure] - before[team][figure]
            assert change == pytest.approx(now[figure] - then[figure], abs=1e-12), (team, figure)


def test_the_report_shows_the_same_figures_and_arrives_by_mail(history: dict[str, Any]) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    out = history["tmp"] / "report.html"
    env = {**os.environ, "SERVICEPULSE_SMTP_HOST": "127.0.0.1", "SERVICEPULSE_SMTP_PORT": str(port)}
    try:
        result = subprocess.run(
            [
                *(sys.executable, "-m", "streams.cli", "report", "--prometheus", history["url"]),
                *("--week", WEEKS[2], "--out", str(out), "--mail-to", "lead@example.com"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr
    page = Path(out).read_text()
    for team in TEAMS:
        now, then = weekly(history["figures"], 2, team), weekly(history["figures"], 1, team)
        cell = f"data-team='{team}' data-figure="
        assert f"{cell}'volume'>{now['volume']:,.0f}<" in page
        assert f"{cell}'csat'>{100 * now['csat']:.1f}%<" in page
        assert f"{cell}'sla'>{100 * now['sla']:.1f}%<" in page
        change = f"data-team='{team}' data-change="
        volume = now["volume"] - then["volume"]
        arrow = "\u25b2" if volume > 0 else "\u25bc"  # volume: an arrow, never a colour
        assert f"{change}'volume' data-tone='neutral'>{arrow} {volume:+,.0f}<" in page
        csat = round(100 * (now["csat"] - then["csat"]), 1)
        arrow, tone = ("\u25b2", "better") if csat > 0 else ("\u25bc", "worse")
        assert f"{change}'csat' data-tone='{tone}'>{arrow} {csat:+.1f} pt<" in page
    # the chart a PNG inside the page, nothing to fetch, no SVG (mail clients drop it)
    assert "<svg" not in page and "data:image/png;base64," in page and 'src="http' not in page
    assert len(received) == 1
    assert received[0]["To"] == "lead@example.com"
    assert WEEKS[2] in received[0]["Subject"]


RULES = """\
groups:
  - name: test
    rules:
      - record: team:created:sum
        expr: sum by (team) (servicepulse_tickets_created_total)
      - record: all:created:sum
        expr: sum(team:created:sum)
"""


def test_recording_rules_are_backfilled_too_including_rules_that_read_rules(
    history: dict[str, Any], tmp_path: Path
) -> None:
    two_days = [e for e in history["events"] if parse_ts(e["ts"]) < W44 + 2 * 86400]
    jsonl = tmp_path / "two-days.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in two_days))
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    blocks = tmp_path / "blocks"
    # --out on a filesystem of its own (a Docker volume, a mount): the temporary Prometheus
    # of the rules pass cannot hard-link the blocks into the work directory beside it
    with own_filesystem(blocks):
        result = subprocess.run(
            [
                *(sys.executable, "-m", "streams.cli", "backfill", str(jsonl)),
                *("--out", str(blocks), "--step", "1h", "--rules", str(rules)),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stderr
        at = W44 + 86400  # Tuesday 00:00: the first day's tickets
        expected: dict[str, float] = defaultdict(float)
        for event in two_days:
            if event["type"] == "ticket.created" and parse_ts(event["ts"]) <= at:
                expected[event["team"]] += 1
        with prometheus_on(blocks, "team:created:sum", at) as url:
            assert query(url, "team:created:sum", at) == dict(expected)
            assert query(url, "all:created:sum", at) == {"all": sum(expected.values())}


# ---- the executive board's PromQL on the backfilled weeks --------------------------------


def board_query(title: str, ref: str) -> str:
    import dashboards

    board = dashboards.build_all()["executive-weekly.json"]
    panel = next(p for p in dashboards.iter_panels(board) if p.get("title") == title)
    return str(next(t["expr"] for t in panel["targets"] if t["refId"] == ref))


def as_grafana_sends(expr: str, week: int) -> tuple[str, float]:
    """``expr`` for the calendar week ``week`` picked as Grafana's "now-1w/w" picks one:
    from Monday 00:00:00.000 to Sunday 23:59:59.999; the instant query runs at its end."""
    from_ms = int((W44 + week * WEEK) * 1000)
    to_ms = from_ms + int(WEEK * 1000) - 1
    expr = expr.replace("${__range_ms}", str(to_ms - from_ms))
    expr = expr.replace("$__range", f"{round((to_ms - from_ms) / 1000)}s")
    return expr, to_ms / 1000


def totals(figures: dict[tuple[int, str], dict[str, int]], week: int) -> dict[str, float]:
    f: dict[str, int] = defaultdict(int)
    for (index, _team), counts in figures.items():
        if index == week:
            for name, value in counts.items():
                f[name] += value
    return {
        "Contacts": f["created"],
        "CSAT": f["csat_good"] / f["csat_all"],
        "SLA attainment": f["met"] / (f["met"] + f["breached"]),
    }


def test_the_board_shows_the_independent_figures_of_a_calendar_week_and_the_change(
    history: dict[str, Any],
) -> None:
    url, figures = history["url"], history["figures"]
    now, before = totals(figures, 2), totals(figures, 1)
    for title in ("Contacts", "CSAT", "SLA attainment"):
        got = {}
        for ref in ("A", "B", "C"):
            expr, at = as_grafana_sends(board_query(title, ref), 2)
            params = urllib.parse.urlencode({"query": expr, "time": str(at)})
            with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=60) as r:
                got[ref] = json.load(r)["data"]["result"]
        assert float(got["A"][0]["value"][1]) == pytest.approx(now[title], abs=1e-12), title
        assert float(got["B"][0]["value"][1]) == pytest.approx(before[title], abs=1e-12), title
        (change,) = got["C"]
        scale = 1 if title == "Contacts" else 100  # shares change in percentage points
        difference = scale * (now[title] - before[title])
        assert float(change["value"][1]) == pytest.approx(difference, abs=1e-9), title
        assert change["metric"]["arrow"] == ("▲" if difference > 0 else "▼"), title


def test_the_board_agrees_with_the_report_on_first_contact_resolution(
    history: dict[str, Any],
) -> None:
    from streams.report.figures import Prometheus, weekly_report

    report = weekly_report(Prometheus(history["url"]), WEEKS[2])
    expr, at = as_grafana_sends(board_query("First-contact resolution", "A"), 2)
    assert report.this_total is not None and report.before_total is not None
    assert query(history["url"], expr, at)["all"] == pytest.approx(report.this_total.fcr)
    expr, at = as_grafana_sends(board_query("First-contact resolution", "B"), 2)
    assert query(history["url"], expr, at)["all"] == pytest.approx(report.before_total.fcr)


def test_the_team_table_shows_each_teams_week_and_the_week_before(history: dict[str, Any]) -> None:
    url, figures = history["url"], history["figures"]
    columns = {"A": ("volume", 2), "B": ("volume", 1), "D": ("csat", 2), "E": ("csat", 1)}
    columns |= {"J": ("sla", 2), "K": ("sla", 1)}
    for ref, (figure, week) in columns.items():
        expr, at = as_grafana_sends(board_query("Teams, this week and the week before", ref), 2)
        got = query(url, expr, at)
        for team in TEAMS:
            expected = weekly(figures, week, team)[figure]
            assert got[team] == pytest.approx(expected, abs=1e-12), (ref, team)


def test_the_trends_give_one_value_per_iso_week_at_its_thursday(history: dict[str, Any]) -> None:
    """Prometheus steps a 1w subquery on multiples of a week since the epoch: Thursdays 00:00.
    (Any past week of a longer history: tests/integration/test_executive_trends.py.)"""
    url, figures = history["url"], history["figures"]
    thursday = W44 + 3 * 86400
    for title in ("Contacts per week", "CSAT per week", "SLA attainment per week"):
        # the board on W47 (not in the history), as Grafana sends "now-1w/w" then
        params = urllib.parse.urlencode(
            {"query": board_query(title, "A"), "time": f"{W44 + 4 * WEEK - 0.001:.3f}"}
        )
        with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=60) as r:
            (series,) = json.load(r)["data"]["result"]
        values = {float(t): float(v) for t, v in series["values"]}
        figure = title.replace(" per week", "")
        expected = {thursday + i * WEEK: totals(figures, i)[figure] for i in (1, 2)}
        assert {t: values[t] for t in expected} == pytest.approx(expected, abs=1e-12), title
        assert thursday + 3 * WEEK not in values, f"{title}: a value for a week not ended"


def test_every_tiles_change_is_its_week_minus_the_week_before(history: dict[str, Any]) -> None:
    """Tiles whose figure has no independent count here (quantiles, means): C = A - B."""
    for title in ("First response, median", "First response, p90", "NPS", "CES", "Reopen rate"):
        got = {}
        for ref in ("A", "B", "C"):
            expr, at = as_grafana_sends(board_query(title, ref), 2)
            params = urllib.parse.urlencode({"query": expr, "time": str(at)})
            with urllib.request.urlopen(f"{url_of(history)}/api/v1/query?{params}") as r:
                got[ref] = json.load(r)["data"]["result"]
        this, before = float(got["A"][0]["value"][1]), float(got["B"][0]["value"][1])
        if math.isnan(this) or math.isnan(before):
            assert got["C"] == [], title  # a week without data: no change shown
            continue
        (change,) = got["C"]
        scale = 100 if title == "Reopen rate" else 1
        assert float(change["value"][1]) == pytest.approx(scale * (this - before)), title
        arrow = "▲" if this > before else "▼" if this < before else "="
        assert change["metric"]["arrow"] == arrow, title


def url_of(history: dict[str, Any]) -> str:
    return str(history["url"])


# ---- a week across a restart, a new series and a series that ends ------------------------


def test_a_week_counts_a_restart_a_new_series_and_an_ended_one_without_going_negative(
    tmp_path: Path,
) -> None:
    """Four series of one team in week 2026-W44, written by hand as OpenMetrics:
    steady 10 -> 25 (grew 15); restarted 40 -> 50, reset to 0, then 7 (counts the 7 since the
    restart: what came before it in the week is lost, never subtracted); born mid-week at 5
    (counts 5); ended mid-week, 20 -> 30 (counts nothing). The week: 15 + 7 + 5 = 27, in the
    report and on the board alike (sum at the end minus sum at the start would say -33)."""
    from dashboards import windows
    from streams.report.figures import Prometheus, week_counts

    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        pytest.skip("needs prometheus and promtool on PATH")
    start, mid = W44, W44 + 3 * 86400
    series = {
        "steady": [(start, 10), (mid, 18), (start + WEEK, 25)],
        "restarted": [(start, 40), (mid, 50), (mid + 3600, 0), (start + WEEK, 7)],
        "born": [(mid, 1), (start + WEEK, 5)],
        "ended": [(start, 20), (mid, 30)],
    }
    lines = ["# TYPE servicepulse_tickets_created counter"]
    for instance, samples in series.items():
        labels = f'team="billing",instance="{instance}"'
        lines += [f"servicepulse_tickets_created_total{{{labels}}} {v} {t:.0f}" for t, v in samples]
    metrics = tmp_path / "week.om"
    metrics.write_text("\n".join([*lines, "# EOF", ""]))
    data = tmp_path / "data"
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(metrics), str(data)],
        check=True,
        capture_output=True,
    )
    with prometheus_on(data, "count(servicepulse_tickets_created_total)", start + WEEK) as url:
        teams, total = week_counts(Prometheus(url), start)
        assert teams["billing"].volume == 27
        assert total is not None and total.volume == 27
        board = windows.count("servicepulse_tickets_created_total", windows.THIS_WEEK, ("team",))
        expr, at = as_grafana_sends(board, 0)
        assert query(url, expr, at) == {"billing": 27.0}


# ---- a real year: backfill counts what replay counts ---------------------------------------


@pytest.mark.skipif(not SERVICENOW.is_dir(), reason="the ServiceNow event log is not here")
def test_backfill_of_a_real_servicenow_year_counts_exactly_what_replay_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streams.commands import backfill
    from streams.core.engine import Engine
    from streams.core.policy import parse_policy
    from streams.export.exporter import Exporter
    from streams.export.openmetrics import ChangeWriter
    from streams.history.blocks import BlockMaker
    from streams.replay import run_file, settle

    lines, reopens = servicenow_events(SERVICENOW / "incident_event_log.csv")
    history = tmp_path / "servicenow.jsonl"
    history.write_bytes(b"".join(line + b"\n" for line in lines))
    policies = parse_policy(SERVICENOW_POLICY)
    # the engine's side of backfill only: every sample taken, none written (the blocks of a
    # year take half an hour here; the tests above check what is written)
    monkeypatch.setattr(ChangeWriter, "write", lambda *args, **kwargs: 0)
    monkeypatch.setattr(BlockMaker, "make", lambda self, path: None)
    result = backfill.backfill_events(
        backfill.history_lines(history), policies, tmp_path / "b", 3600.0, rules=None
    )
    exporter = Exporter()
    engine = Engine(policies, exporter)
    with open(history, "rb") as stream:
        run_file(stream, engine)
    settle(engine)
    assert result.counters == {name: dict(s) for name, s in exporter.counters.items()}
    created = sum(result.counters["tickets_created"].values())
    assert created == 24_918  # the incidents of SOURCE.md
    assert sum(result.counters["tickets_reopened"].values()) == reopens
    assert "no_ticket" not in result.reasons
    assert result.events == len(lines)
    assert result.processed + result.duplicates + result.rejected == result.events
