"""The Grafana boards: JSON in sync with the code, well-formed panels, data behind every panel,
and `servicepulse dashboards push` against a Grafana HTTP API.

* ``test_checked_in_json_is_generated`` — CI fails when dashboards/json differs from the code.
* ``test_every_panel_returns_data`` (``prometheus``) — a simulated run of ``servicepulse demo``
  is scraped by a real Prometheus with the project's recording and alert rules (evaluated
  every second), alerts go to a real Alertmanager; every panel query of every board is then
  evaluated through their HTTP APIs and must return at least one series with a value.
* ``test_push_*`` (``grafana``) — push to a real Grafana server built from source by
  deploy/grafana/build-grafana.sh (skipped when none is built), twice (idempotent), and
  the provisioning directory loads the boards at start-up.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import dashboards
from dashboards import windows
from dashboards.boards.team_sla.ledger_tables import LEDGER_UID
from dashboards.command import register
from dashboards.push import Pusher, data_sources, load_boards
from streams.errors import UserError
from streams.export import catalogue
from streams.monitoring.prometheus import demo_config, fast_rule_files
from streams.report.figures import MIN_SAMPLE
from tests.processes import free_port, get_json, stop, wait_until_up
from tests.prometheus import query as instant

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
BOARDS = dashboards.build_all()

# -- the JSON and its panels ---------------------------------------------------------------


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """The Prometheus and Alertmanager panels (the ledger tables: test_ledger_panels.py)."""
    return [
        p
        for p in dashboards.iter_panels(board)
        if p.get("type") != "row" and (p.get("datasource") or {}).get("uid") != LEDGER_UID
    ]


# Drift of dashboards/json: `servicepulse generate --check` (tests/unit/monitoring).


def test_build_check_flags_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from streams.cli import main

    assert main(["dashboards", "build", "--out", str(tmp_path)]) == 0
    assert main(["dashboards", "build", "--check", "--out", str(tmp_path)]) == 0
    target = tmp_path / "live-operations.json"
    target.write_text(target.read_text().replace("Open backlog", "Open backlog!", 1))
    assert main(["dashboards", "build", "--check", "--out", str(tmp_path)]) == 2
    assert "live-operations.json out of date" in capsys.readouterr().err


def provisioned_names() -> set[str]:
    text = (PROVISIONING / "datasources" / "servicepulse.yml").read_text()
    return set(re.findall(r"- name: (.+)", text))


def test_boards_are_well_formed() -> None:
    uids = [b["uid"] for b in BOARDS.values()]
    assert len(set(uids)) == len(uids)
    for name, board in BOARDS.items():
        ids = [p["id"] for p in dashboards.iter_panels(board)]
        assert len(set(ids)) == len(ids), name
        assert board["refresh"], name
        for p in panels(board):
            where = f"{name}: {p['title']}"
            assert p.get("description"), f"{where} has no description"
            ds = p.get("datasource")
            if p["type"] == "text":
                assert p["options"]["content"].strip(), where
                continue
            assert ds and ds["uid"] in (dashboards.PROMETHEUS_UID, dashboards.ALERTMANAGER_UID)
            if p["type"] == "alertGroups":
                # the panel refers to its Alertmanager by data source name
                assert p["options"]["alertmanager"] in provisioned_names(), where
                continue
            defaults = p["fieldConfig"]["defaults"]
            if p["type"] == "table":
                units = [
                    prop["value"]
                    for o in p["fieldConfig"]["overrides"]
                    for prop in o["properties"]
                    if prop["id"] == "unit"
                ]
                assert len(units) == len(p["targets"]), f"{where}: a column without unit"
            else:
                assert defaults.get("unit"), f"{where} has no unit"
            assert defaults["thresholds"]["steps"][0]["value"] is None, where
            assert [t["refId"] for t in p["targets"]] == [
                chr(ord("A") + i) for i in range(len(p["targets"]))
            ], where
    live = BOARDS["live-operations.json"]
    assert live["refresh"] in ("10s", "15s", "20s", "30s")


def test_time_thresholds_follow_the_sla_policy() -> None:
    """A first-response figure turns orange at the at-risk share and red at the target."""
    board = BOARDS["executive-weekly.json"]
    tile = next(p for p in panels(board) if p["title"] == "First response, median")
    steps = tile["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["value"], s["color"]) for s in steps] == [
        (None, "green"),
        (0.8 * 4 * 3600, "orange"),
        (4 * 3600, "red"),
    ]


def test_docs_describe_every_panel() -> None:
    text = (ROOT / "docs" / "dashboards.md").read_text(encoding="utf-8")
    missing = [
        f"{name}: {p['title']}"
        for name, board in BOARDS.items()
        for p in panels(board)
        if f"**{p['title']}**" not in text
    ]
    assert not missing, f"docs/dashboards.md does not describe {missing}"


def known_series() -> set[str]:
    """Metric names the boards may query: ServicePulse's, the recording rules', Prometheus's."""
    names = {"up", "ALERTS"}
    for m in catalogue.CATALOGUE:
        base = m.exposed
        names.add(base)
        if m.kind == "histogram":
            names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    text = "\n".join(p.read_text() for p in RULES.glob("*.yml"))
    names |= set(re.findall(r"record:\s*(\S+)", text))
    return names


KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "or", "and",
            "unless", "offset", "bool", "NaN"}  # fmt: skip


def series_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    expr = re.sub(r'"[^"]*"', "", expr)  # strings
    expr = re.sub(r"\$\w+|\$\{[^}]*\}\w*", " ", expr)  # Grafana variables, ${__range_ms}ms
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for m in re.finditer(r"(?<![\w:.])[a-zA-Z_:][\w:]*", expr):
        if not expr[m.end() :].lstrip().startswith("("):  # not a function
            names.add(m.group())
    return names - KEYWORDS


def exposed_series() -> set[str]:
    """The series the exporter of this checkout exposes (catalogue) and Prometheus's own."""
    names = {"up", "ALERTS"}
    for m in catalogue.CATALOGUE:
        names.add(m.exposed)
        if m.kind == "histogram":
            names |= {f"{m.exposed}_bucket", f"{m.exposed}_sum", f"{m.exposed}_count"}
    return names


def awaited_metrics(expr: str) -> set[str]:
    """Raw metrics behind ``expr`` (through the recording rules) that the exporter lacks.

    A panel built on a metric announced for the exporter (/work/wt/METRICS.md) but not in
    this checkout's catalogue yet cannot show data; once the metric lands it is checked.
    """
    rules: dict[str, list[str]] = {}
    for path in RULES.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    rules.setdefault(rule["record"], []).append(rule["expr"])
    exposed, seen, todo, raw = exposed_series(), set(), [expr], set()
    while todo:
        for name in series_names(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if name in rules:
                todo.extend(rules[name])
            else:
                raw.add(name)
    return raw - exposed


def test_every_queried_series_exists() -> None:
    """Each name in a panel query is a contract metric, a recording rule, or `up`/`ALERTS`.

    A name missing here is an addition the boards need from streams/ or the rules.
    """
    known = known_series()
    missing = set()
    for name, board in BOARDS.items():
        for p in panels(board):
            for t in p.get("targets", []):
                for series in series_names(t["expr"]):
                    if series not in known:
                        missing.add((series, f"{name}: {p['title']}"))
    assert not missing, f"queried series that nothing produces: {sorted(missing)}"


# -- every panel against a real Prometheus -------------------------------------------------


RUN_SECONDS = float(os.environ.get("SERVICEPULSE_DASHBOARD_RUN_SECONDS", "75"))
ALERTMANAGER_BIN = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@contextlib.contextmanager
def running_stack(tmp: Path, run_seconds: float) -> Iterator[dict[str, Any]]:
    """demo -> Prometheus (project rules, 1 s) -> Alertmanager, all on loopback, after the demo
    has run ``run_seconds``; ``demo`` is its process (a test may stop it)."""
    if not shutil.which("prometheus"):
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    if not ALERTMANAGER_BIN:
        pytest.skip("Alertmanager is not installed (apt-get install prometheus-alertmanager)")
    demo_port, prom_port, am_port = free_port(), free_port(), free_port()
    # The project's rule files, every group evaluated each second.
    rule_files = fast_rule_files(tmp)
    (tmp / "prometheus.yml").write_text(json.dumps(demo_config(demo_port, am_port, rule_files)))
    (tmp / "alertmanager.yml").write_text(
        json.dumps(
            {
                "route": {"receiver": "null", "group_by": ["alertname", "team", "target"]},
                "receivers": [{"name": "null"}],
            }
        )
    )
    procs: list[subprocess.Popen[bytes]] = []
    log = open(tmp / "processes.log", "wb")  # noqa: SIM115 - closed below
    try:
        am = subprocess.Popen(
            [
                ALERTMANAGER_BIN,
                f"--config.file={tmp / 'alertmanager.yml'}",
                f"--storage.path={tmp / 'am'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=log,
        )
        procs.append(am)
        demo_argv = [sys.executable, "-m", "streams.cli", "demo", "--port", str(demo_port)]
        demo_argv += ["--host", "127.0.0.1", "--scenario", "normal", "--speed", "600"]
        # the demo outlives the queries: ~350 of them take half an hour on a loaded machine
        demo_argv += ["--seed", "1", "--no-board", "--duration", str(run_seconds + 3600)]
        demo_argv += ["--alertmanager", f"http://127.0.0.1:{am_port}"]  # ticket alerts
        demo = subprocess.Popen(
            demo_argv,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        procs.append(demo)
        prom = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=log,
            stderr=log,
        )
        procs.append(prom)
        prom_url = f"http://127.0.0.1:{prom_port}"
        am_url = f"http://127.0.0.1:{am_port}"
        started = time.monotonic()
        wait_until_up(f"http://127.0.0.1:{demo_port}/metrics", demo, "the demo", 30)
        wait_until_up(f"{prom_url}/-/ready", prom, "prometheus", 30)
        wait_until_up(f"{am_url}/-/ready", am, "alertmanager", 30)
        time.sleep(max(0.0, run_seconds - (time.monotonic() - started)))
        yield {
            "prometheus": prom_url,
            "alertmanager": am_url,
            "log": str(tmp / "processes.log"),
            "demo": demo,
        }
    finally:
        stop(procs)
        log.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """demo -> Prometheus (project rules, 1 s) -> Alertmanager, all on loopback."""
    with running_stack(tmp_path_factory.mktemp("prom"), RUN_SECONDS) as running:
        yield running


# A loaded machine (other test suites beside this one) may take more than the usual 10 s over
# the executive board's weeks: this test is about the data, not the speed.
SLOW_QUERY_SECONDS = 120


def slow_query(
    prom: str, expr: str, seconds: float | None = None, at: float | None = None
) -> list[dict[str, Any]]:
    """An instant query (at ``at``, default now), or a range query over the last ``seconds``."""
    if seconds is None:
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"{prom}/api/v1/query?" + urllib.parse.urlencode(params)
    else:
        now = time.time()
        params = {"query": expr, "start": now - seconds, "end": now, "step": "2s"}
        url = f"{prom}/api/v1/query_range?" + urllib.parse.urlencode(params)
    answer = get_json(url, timeout=SLOW_QUERY_SECONDS)
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def with_values(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The series that have at least one finite value (a NaN-only series shows nothing)."""
    out = []
    for s in series:
        values = [s["value"]] if "value" in s else s.get("values", [])
        if any(math.isfinite(float(v)) for _, v in values):
            out.append(s)
    return out


# The executive board's "week" in a run of a minute: the last SHORT seconds (see concrete).
SHORT = 40


def concrete(expr: str, team: str) -> str:
    """A panel query as Grafana would send it for ``team``, the weeks shrunk into the run.

    The executive board reads its counters 1 ms after the query time and one range
    (``${__range_ms}ms``) before it, the week before one range earlier still; its 12-week
    trends at ``offset -4d`` / ``offset 3d`` of each weekly step of a 12-week subquery (two
    SHORT steps here), and its daily charts count
    ``[1d:1h]`` (dashboards/windows.py). The run is a minute long: "this week" becomes the
    last SHORT seconds, the week before the SHORT seconds before them, a trend's week or a
    chart's day the SHORT seconds up to each step. That the ends are the right ones is checked
    on backfilled weeks (tests/integration/test_history.py).
    """
    expr = expr.replace("$team", team).replace("${__range_ms}", str(SHORT * 1000))
    # a trend's 12 weeks: two SHORT "weeks" of the run, the last one ending now
    trend = f"[{windows.TWELVE_WEEKS}:1w] offset {windows.LAST_THURSDAY}"
    expr = expr.replace(trend, f"[{2 * SHORT}s:{SHORT}s]")
    expr = expr.replace(" offset -4d", "").replace(" offset 3d", f" offset {SHORT}s")
    # a tile's change needs both weeks' samples at MIN_SAMPLE: a SHORT "week" has a handful of
    # survey answers, so here any sample will do (the minimum itself: test_executive_trends.py)
    expr = expr.replace(f") >= {MIN_SAMPLE})", ") >= 0)")
    expr = expr.replace("[1d:1h]", f"[{SHORT}s:1s]").replace(
        f"[{SHORT * 1000}ms:1h]", f"[{SHORT}s:1s]"
    )
    return expr.replace("$__rate_interval", "1m").replace("$__range", f"{SHORT}s")


# Queries that answer nothing on a healthy demo of three teams, by design: no target is down,
# three teams leave no "all others", and bar lists leave out the pairs at 0 (nothing may be at
# risk at the moment of the test).
EMPTY_BY_DESIGN = {
    ("Scrape health", "B"),
    ("Open backlog by team", "B"),
    ("Unanswered contacts by team", "B"),
    ("At risk now, by team and target", "A"),
    ("Breached now, by team and target", "A"),
    # the demo's built-in policy sets no `ola`: stints are measured, never judged
    *[("Journey across teams (24 h)", ref) for ref in "DE"],
    *[
        (title, ref)
        for title in ("OLA attainment of the team", "OLA breaches of the team")
        for ref in "AB"
    ],
    # next-hour forecast: the demo sends no agent.status and the built-in policy
    # has no `staffing`, so no team has agents on duty (team:servicepulse_forecast_agents:count
    # has no series) and Erlang C has no N: no service level, ASA or agents to add (no agents
    # known is no forecast, docs/forecast.md). Agents needed and the contacts forecast do show.
    ("Forecast service level, next hour", "A"),
    ("Agents to add", "A"),
    ("Forecast ASA, next hour", "A"),
    *[("On duty and needed, next hour", ref) for ref in "AC"],
    # volume: the usual is the same hour of the past four weeks; the demo's
    # Prometheus is a minute old (a backfilled history gives it at once)
    ("Contacts this hour against the usual", "B"),
    # backlog ETA: no date while the team's backlog grows or holds (it does not clear
    # at this pace); a minute into the demo that depends on the moment (seen both ways)
    ("Backlog clears at", "B"),
    # three teams leave no "all others"
    ("Net drain per hour", "B"),
    # days to exhaustion: per target exactly one of the three answers (time left, not
    # burning, exhausted), which one depends on the minute; each is checked by hand in
    # tests/promtool/error_budget_board_test.yml
    *[("Days to exhaustion at this pace", ref) for ref in "ABC"],
}


@pytest.mark.prometheus
@pytest.mark.timeout(1200)  # a cap, not a wait: ~300 queries, slow on a loaded machine
def test_every_panel_returns_data(stack: dict[str, Any]) -> None:
    prom, am = stack["prometheus"], stack["alertmanager"]
    # The team: the one with the most firing alerts, so that the alert panels are checked with
    # something to show (every team has data in every other panel).
    teams = sorted(
        s["metric"]["team"] for s in instant(prom, "team:servicepulse_tickets_created:increase1h")
    )
    assert teams, "no team in the data: did the demo run?"
    firing = {
        s["metric"]["team"]: float(s["value"][1])
        for s in instant(prom, 'count by (team) (ALERTS{alertstate="firing"})')
    }
    team = max(teams, key=lambda t: (firing.get(t, 0.0), t))
    print(f"\nteam variable = {team!r} (firing alerts per team: {firing})")

    checked: list[str] = []
    empty: list[str] = []
    awaited: list[str] = []
    am_panels: list[tuple[str, int]] = []
    for name, board in BOARDS.items():
        print(f"\n{board['title']} ({name})")
        for p in panels(board):
            title = p["title"]
            if p["type"] == "text":
                link = re.search(r"/alerting/groups\?[^)]*", p["options"]["content"])
                if link:
                    # What the link opens: Alertmanager's groups matching its team filter.
                    params = urllib.parse.parse_qs(urllib.parse.urlsplit(link.group()).query)
                    (matcher,) = params["queryString"]
                    key, _, value = matcher.replace("$team", team).partition("=")
                    q = urllib.parse.urlencode({"filter": f'{key}="{value}"'})
                    groups = get_json(f"{am}/api/v2/alerts/groups?{q}")
                    n = sum(len(g["alerts"]) for g in groups)
                    print(f"  [am   ] {title}: {len(groups)} groups, {n} alerts of {team}")
                    am_panels.append((f"{name}: {title}", n))
                else:
                    print(f"  [text ] {title}: static text, {len(p['options']['content'])} chars")
                continue
            results = []
            for t in p["targets"]:
                if "expr" not in t:
                    continue  # not PromQL: the ledger's SQL panels are not checked here
                # a scrape or rule evaluation may be in flight: ask again (not what is empty
                # by design: those retries cost minutes on a loaded machine)
                tries = 1 if (title, t["refId"]) in EMPTY_BY_DESIGN else 3
                for _ in range(tries):
                    expr = concrete(t["expr"], team)  # the executive board's weeks move on
                    if t.get("instant") or t.get("format") == "table":
                        found = with_values(slow_query(prom, expr))
                    else:
                        found = with_values(slow_query(prom, expr, RUN_SECONDS))
                    if found:
                        break
                    time.sleep(2)
                results.append(len(found))
                missing = awaited_metrics(t["expr"])
                if not found and missing:
                    awaited.append(f"{name}: {title} [{t['refId']}] needs {sorted(missing)}")
                elif not found and (title, t["refId"]) not in EMPTY_BY_DESIGN:
                    empty.append(f"{name}: {title} [{t['refId']}] {expr}")
            print(f"  [{p['type'][:5]:5}] {title}: series per query {results}")
            checked.append(f"{name}: {title}")
    print(f"\n{len(checked)} panels checked, {len(empty)} queries without data")
    assert not awaited, "panels on metrics the exporter does not have:\n" + "\n".join(awaited)
    assert am_panels and sum(n for _, n in am_panels) > 0, (
        f"no Alertmanager panel shows alerts: {am_panels}"
    )
    assert not empty, "queries without data:\n" + "\n".join(empty)


# -- the target down: no data, never a zero --------------------------------------------------

DOWN_RUN_SECONDS = float(os.environ.get("SERVICEPULSE_DASHBOARD_DOWN_RUN_SECONDS", "45"))


def snapshot(
    prom: str, team: str, at: float | None = None
) -> dict[tuple[str, str, str], dict[str, float]]:
    """(board, panel, refId) -> {labels: value} of every panel query, evaluated at ``at``
    (Unix seconds; default now).

    Except the executive tiles' change (``▲``/``▼``/``=``): the difference of the two weeks
    beside it, read here, and the slowest query of all (a quantile's, ~1 min on a loaded
    machine).
    """
    out = {}
    for name, board in BOARDS.items():
        for p in panels(board):
            for t in p.get("targets", []):
                if "expr" not in t or '"arrow"' in t["expr"]:
                    continue  # not PromQL (the ledger's SQL), or an executive change
                found = slow_query(prom, concrete(t["expr"], team), at=at)
                out[(name, p["title"], t["refId"])] = dict(readings(found))
    return out


def readings(found: list[dict]) -> list[tuple[str, float]]:
    """Each series' value (an instant vector) or each of its points (the trends' subqueries
    answer a range vector), keyed by its labels (and the point's time)."""
    out = []
    for s in found:
        labels = json.dumps(s["metric"], sort_keys=True)
        if "value" in s:
            out.append((labels, float(s["value"][1])))
        else:
            out.extend((f"{labels}@{at}", float(v)) for at, v in s["values"])
    return out


@pytest.mark.prometheus
@pytest.mark.timeout(1500)
def test_with_the_target_down_no_panel_reads_zero_where_it_had_a_value(
    tmp_path: Path,
) -> None:
    """The scrape target killed, the live top row read backlog 0, breached 0.

    Every query of every board is evaluated at the last instant the demo was up and again
    once Prometheus has found it down: a series that reads 0 afterwards must have read 0
    before (an honest zero, such as no breach in the day); the live board's top row has no
    figure at all, and its scrape-health tile reads 0 targets up ("target down").
    """
    with running_stack(tmp_path, DOWN_RUN_SECONDS) as running:
        prom = running["prometheus"]
        teams = instant(prom, "topk(1, team:servicepulse_open_tickets:sum)")
        assert teams, "no open tickets: did the demo run?"
        team = teams[0]["metric"]["team"]
        # "before" is read afterwards at the instant the target was last up, so that it and
        # "after" are two fixed instants (the demo adds data while a snapshot is being read)
        last_up = time.time() - 1
        stop([running["demo"]])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            up = instant(prom, 'up{job=~"servicepulse.*"}')
            if up and all(float(s["value"][1]) == 0 for s in up):
                break
            time.sleep(0.5)
        else:
            pytest.fail("Prometheus did not see the demo go down")
        time.sleep(5)  # the rules (every second) have evaluated on the stale series
        # both snapshots at fixed instants: reading ~350 queries takes minutes, and a query
        # answered at "now" late in that time would see other subquery hours than its peers
        after = snapshot(prom, team, at=time.time())
        before = snapshot(prom, team, at=last_up)
        backlog = before[("live-operations.json", "Open backlog", "A")]
        assert backlog and max(backlog.values()) > 0, backlog  # something to lose

    new_zeros = [
        f"{key}: {labels} {before[key].get(labels)!r} -> 0"
        for key, series in after.items()
        for labels, value in series.items()
        if value == 0 and key[1] != "Scrape health" and before[key].get(labels) != 0
    ]
    assert not new_zeros, "zeros where there was a value or nothing:\n" + "\n".join(new_zeros)
    top_row = [
        p["title"]
        for p in BOARDS["live-operations.json"]["panels"]
        if p.get("gridPos", {}).get("y") == 1 and p["title"] != "Scrape health"
    ]
    assert len(top_row) == 6
    for title in top_row:
        assert after[("live-operations.json", title, "A")] == {}, title  # "no data"
    health = after[("live-operations.json", "Scrape health", "A")]
    assert list(health.values()) == [0.0]  # mapped to "target down"
    assert list(after[("live-operations.json", "Scrape health", "B")].values()) == [1.0]
    # the team lead's gauges too: the team's open and unanswered tickets, its oldest ticket
    for title in ("Open / unanswered", "Oldest ticket", "At risk now, by target"):
        for ref in ("A", "B"):
            assert not after.get(("team-lead-sla.json", title, ref)), (title, ref)


# -- push ----------------------------------------------------------------------------------


def test_push_rejects_a_url_that_is_not_http() -> None:
    with pytest.raises(UserError, match="not an http"):
        Pusher("localhost:3000", "token")


def test_push_reports_an_unreachable_grafana() -> None:
    pusher = Pusher(f"http://127.0.0.1:{free_port()}", "token", timeout=3)
    with pytest.raises(UserError, match="cannot reach Grafana"):
        pusher.connect()


class _NotGrafana(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"404 page not found\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_push_reports_a_server_that_is_not_grafana() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotGrafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pusher = Pusher(f"http://127.0.0.1:{server.server_port}", "token", timeout=3)
        with pytest.raises(UserError, match="is not a Grafana"):
            pusher.connect()
    finally:
        server.shutdown()
        server.server_close()


def test_cli_needs_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    from streams.cli import main

    env = {k: v for k, v in os.environ.items() if k not in ("GRAFANA_TOKEN",)}
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        assert main(["dashboards", "push", "--url", "http://127.0.0.1:1"]) == 2
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert "give --token" in capsys.readouterr().err


def grafana_build() -> tuple[Path, Path] | None:
    """(binary, home) of a Grafana built by deploy/grafana/build-grafana.sh, if there is one."""
    cache = Path(os.environ.get("GRAFANA_CACHE", ROOT / "var" / "grafana"))
    for home in sorted(cache.glob("v*")):
        if (home / ".built").exists() and (home / "bin" / "grafana").exists():
            return home / "bin" / "grafana", home
    return None


def start_grafana(tmp: Path, provisioning: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    built = grafana_build()
    if built is None:
        pytest.skip("no Grafana built: run deploy/grafana/build-grafana.sh (about 10-20 min)")
    binary, home = built
    port = free_port()
    env = {
        **os.environ,
        "GF_PATHS_DATA": str(tmp / "data"),
        "GF_PATHS_LOGS": str(tmp / "logs"),
        "GF_PATHS_PLUGINS": str(tmp / "plugins"),
        "GF_PATHS_PROVISIONING": str(provisioning),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(port),
        "GF_SECURITY_ADMIN_USER": "admin",
        "GF_SECURITY_ADMIN_PASSWORD": "sp-test-admin",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_NEWS_NEWS_FEED_ENABLED": "false",
        "GF_PANELS_ENABLE_ALPHA": "true",  # the Alert groups panel
        "GF_LOG_MODE": "file",
        "SERVICEPULSE_PROMETHEUS_URL": "http://127.0.0.1:9090",
        "SERVICEPULSE_ALERTMANAGER_URL": "http://127.0.0.1:9093",
        "SERVICEPULSE_DASHBOARDS_DIR": str(dashboards.JSON_DIR),
    }
    proc = subprocess.Popen(
        [str(binary), "server", "--homepath", str(home)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/health", proc, "grafana", 120)
    except BaseException:
        stop([proc])
        raise
    return proc, {"url": url, "user": "admin", "password": "sp-test-admin"}


def start_grafana_retrying(
    tmp: Path, provisioning: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """``start_grafana``, once more in a fresh directory if the server exits while starting.

    A CI run saw the provisioned server exit during start (its log stops after the
    migrations; the panic goes to stderr): a second start in a clean data directory, on a
    new port, tells a flaky start from a broken board, which fails both times.
    """
    first, second = tmp / "first", tmp / "second"
    first.mkdir()
    try:
        return start_grafana(first, provisioning)
    except AssertionError as exc:
        if "exited" not in str(exc):
            raise
        second.mkdir()
        return start_grafana(second, provisioning)


@pytest.fixture(scope="module")
def grafana(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real Grafana server on loopback, provisioned from deploy/grafana/provisioning."""
    proc, info = start_grafana_retrying(tmp_path_factory.mktemp("grafana"), PROVISIONING)
    try:
        yield info
    finally:
        stop([proc])


@pytest.fixture(scope="module")
def bare_grafana(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real Grafana server on loopback with nothing provisioned."""
    tmp = tmp_path_factory.mktemp("bare-grafana")
    empty = tmp / "provisioning"
    for sub in ("datasources", "dashboards", "plugins", "alerting", "notifiers"):
        (empty / sub).mkdir(parents=True)
    proc, info = start_grafana_retrying(tmp, empty)
    try:
        yield info
    finally:
        stop([proc])


def grafana_get(g: dict[str, Any], path: str) -> Any:
    req = urllib.request.Request(g["url"] + path)
    import base64

    token = base64.b64encode(f"{g['user']}:{g['password']}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.grafana
def test_provisioning_shows_the_boards_at_start(grafana: dict[str, Any]) -> None:
    """A Grafana started with deploy/grafana/provisioning has the data sources and boards."""
    deadline = time.monotonic() + 60
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = grafana_get(grafana, "/api/search?tag=servicepulse")
        if len(found) >= len(BOARDS):
            break
        time.sleep(1)
    assert sorted(b["uid"] for b in found) == sorted(b["uid"] for b in BOARDS.values())
    assert {b["folderUid"] for b in found} == {dashboards.FOLDER_UID}
    for uid in (dashboards.PROMETHEUS_UID, dashboards.ALERTMANAGER_UID):
        ds = grafana_get(grafana, f"/api/datasources/uid/{uid}")
        assert ds["readOnly"] is True  # provisioned
    for board in BOARDS.values():
        stored = grafana_get(grafana, f"/api/dashboards/uid/{board['uid']}")
        assert stored["meta"]["provisioned"] is True
        assert len(stored["dashboard"]["panels"]) == len(board["panels"])


@pytest.mark.grafana
def test_push_creates_then_leaves_alone(
    grafana: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Push copies of the boards (new uids: the originals are provisioned) twice."""
    copies = tmp_path / "boards"
    copies.mkdir()
    for name, board in BOARDS.items():
        copy = {**board, "uid": board["uid"] + "-pushed", "title": board["title"] + " (pushed)"}
        (copies / name).write_text(dashboards.render(copy))
    sources = data_sources("http://127.0.0.1:9090", "http://127.0.0.1:9093")
    log: list[str] = []
    pusher = Pusher(
        grafana["url"], (grafana["user"], grafana["password"]), log=log.append, timeout=10
    )
    boards = load_boards(copies)
    pusher.push(sources, boards)
    first = "\n".join(log)
    print(first)
    assert "provisioned by the server, left as it is" in first  # the data sources
    assert first.count(": created") == len(BOARDS)  # the folder exists (provisioning)
    for board in boards.values():
        stored = grafana_get(grafana, f"/api/dashboards/uid/{board['uid']}")
        assert stored["meta"]["folderUid"] == dashboards.FOLDER_UID
        assert stored["dashboard"]["title"] == board["title"]
        assert stored["dashboard"]["version"] == 1
    log.clear()
    pusher.push(sources, boards)
    second = "\n".join(log)
    print(second)
    assert ": created" not in second and ": updated" not in second
    assert second.count(": unchanged") == len(BOARDS) + 1  # boards + folder
    for board in boards.values():
        stored = grafana_get(grafana, f"/api/dashboards/uid/{board['uid']}")
        assert stored["dashboard"]["version"] == 1, "a second push made a new version"


@pytest.mark.grafana
def test_push_to_a_bare_grafana_via_the_cli(
    bare_grafana: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`servicepulse dashboards push` creates data sources, folder and boards, then no-ops."""
    from streams.cli import main

    g = bare_grafana
    argv = [
        "dashboards", "push", "--url", g["url"], "--user", g["user"], "--password", g["password"],
        "--prometheus-url", "http://127.0.0.1:9090", "--alertmanager-url", "http://127.0.0.1:9093",
    ]  # fmt: skip
    assert main(argv) == 0
    first = capsys.readouterr().out
    print(first)
    assert first.count(": created") == 2 + 1 + len(BOARDS)  # data sources, folder, boards
    for uid, kind in (
        (dashboards.PROMETHEUS_UID, "prometheus"),
        (dashboards.ALERTMANAGER_UID, "alertmanager"),
    ):
        ds = grafana_get(g, f"/api/datasources/uid/{uid}")
        assert ds["type"] == kind and ds["readOnly"] is False
    found = grafana_get(g, "/api/search?tag=servicepulse")
    assert sorted(b["uid"] for b in found) == sorted(b["uid"] for b in BOARDS.values())
    assert {b["folderUid"] for b in found} == {dashboards.FOLDER_UID}

    assert main(argv) == 0
    second = capsys.readouterr().out
    print(second)
    assert second.count(": unchanged") == 2 + 1 + len(BOARDS)
    for board in BOARDS.values():
        assert grafana_get(g, f"/api/dashboards/uid/{board['uid']}")["dashboard"]["version"] == 1

    # A data source changed by hand is put back by the next push.
    changed = Pusher(g["url"], (g["user"], g["password"]), log=lambda _line: None)
    changed.connect()
    from dashboards.push import DataSource

    moved = DataSource(
        dashboards.PROMETHEUS_UID,
        "ServicePulse Prometheus",
        "prometheus",
        "http://127.0.0.1:19",
        {},
    )
    assert changed.push_data_source(moved) == "updated"
    assert main(argv) == 0
    assert "ServicePulse Prometheus (servicepulse-prometheus): updated" in capsys.readouterr().out
    ds = grafana_get(g, f"/api/datasources/uid/{dashboards.PROMETHEUS_UID}")
    assert ds["url"] == "http://127.0.0.1:9090"


@pytest.mark.grafana
def test_push_cli_reports_wrong_credentials(
    bare_grafana: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from streams.cli import main

    argv = ["dashboards", "push", "--url", bare_grafana["url"], "--token", "glsa_wrong"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("servicepulse: error: Grafana at") and "rejected the credentials" in err
    assert "Traceback" not in err


@pytest.mark.grafana
def test_push_reports_wrong_credentials(grafana: dict[str, Any]) -> None:
    with pytest.raises(UserError, match="rejected the credentials"):
        Pusher(grafana["url"], ("admin", "wrong-password")).connect()
    with pytest.raises(UserError, match="rejected the credentials"):
        Pusher(grafana["url"], "glsa_not_a_real_token").connect()
