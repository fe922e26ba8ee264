"""The team lead board's ledger tables against a real PostgreSQL.

The board's row "Tickets behind the figures (ledger)" reads the outcomes ledger through
Grafana's built-in PostgreSQL data source (dashboards/boards/team_sla/ledger_tables.py). Here:

* the SQL of each table, taken from the generated board exactly as Grafana gets it, runs on a
  real PostgreSQL (tests/postgres.py) holding hand-written ledger rows, written by the
  ledger's own store (``open_store(url).write``), with Grafana's macros and variables filled
  in by :func:`as_grafana_runs` for one week; the rows must be the ones worked out by hand
  below (``postgres``);
* the same table through a real Grafana's ``/api/ds/query``, where Grafana fills in the
  macros itself (``grafana`` + ``postgres``; skipped without a Grafana built by
  deploy/grafana/build-grafana.sh);
* the panels are well formed: the ledger data source's uid, provisioned; a link from every
  ticket id; described in docs/dashboards.md.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import dashboards
from dashboards.boards.team_sla import ledger_tables
from streams.core.records import Outcome, Record, Survey
from streams.ledger.store import open_store
from tests.processes import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
BOARD = dashboards.build_all()["team-lead-sla.json"]
LEDGER_TITLES = (
    "Breached, last 7 days",
    "Detractors to call back, last 7 days",
    "Complaints past target, last 7 days",
    "SLA attainment per agent, last 7 days",
)


def panel(title: str) -> dict[str, Any]:
    return next(p for p in dashboards.iter_panels(BOARD) if p.get("title") == title)


def panel_sql(title: str) -> str:
    """The SQL of a ledger table as the generated board holds it (what Grafana is given)."""
    (target,) = panel(title)["targets"]
    return str(target["rawSql"])


# -- Grafana's part of running a query, by hand ----------------------------------------------


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_grafana_runs(sql: str, start: float, end: float, variables: Mapping[str, str]) -> str:
    """``sql`` as Grafana hands it to PostgreSQL for the time range [start, end] (Unix
    seconds, whole) and the dashboard ``variables``.

    Two steps, as Grafana 10-12 take them:

    1. the browser interpolates the dashboard variables (``$team``, ``${team}``): Grafana's SQL
       data sources double every ``'`` of a single-valued variable
       (``SqlDatasource.interpolateVariable``), so the value stays one SQL string literal;
    2. the server expands the macros (pkg/tsdb/sqleng/sql_engine.go and
       pkg/tsdb/grafana-postgresql-datasource/macros.go): ``$__unixEpochFrom()`` and
       ``$__unixEpochTo()`` become the range's ends in whole Unix seconds,
       ``$__timeFrom()``/``$__timeTo()`` quoted RFC 3339 timestamps,
       ``$__timeFilter(col)`` ``col BETWEEN 'from' AND 'to'`` and ``$__unixEpochFilter(col)``
       ``col >= from AND col <= to``.

    Anything else starting with ``$`` left afterwards is a macro this helper does not know:
    an error, not a silent pass.
    """
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name].replace("'", "''")
        sql = sql.replace(f"${{{name}}}", value)
        sql = re.sub(rf"\${re.escape(name)}\b", value.replace("\\", r"\\"), sql)
    s, e = int(start), int(end)
    sql = sql.replace("$__unixEpochFrom()", str(s)).replace("$__unixEpochTo()", str(e))
    sql = sql.replace("$__timeFrom()", f"'{rfc3339(s)}'").replace("$__timeTo()", f"'{rfc3339(e)}'")
    sql = re.sub(
        r"\$__timeFilter\(([^)]*)\)", rf"\1 BETWEEN '{rfc3339(s)}' AND '{rfc3339(e)}'", sql
    )
    sql = re.sub(r"\$__unixEpochFilter\(([^)]*)\)", rf"\1 >= {s} AND \1 <= {e}", sql)
    leftover = re.findall(r"\$\{?\w+", sql)
    assert not leftover, f"not filled in: {leftover}"
    return sql


def test_the_helper_fills_in_what_grafana_fills_in() -> None:
    sql = (
        "SELECT 1 WHERE team = '$team' AND x = '${team}' AND $__timeFilter(t) AND "
        "at >= $__unixEpochFrom() AND at < $__unixEpochTo() AND $__unixEpochFilter(at) "
        "AND t > $__timeFrom() AND t < $__timeTo() AND y = '$teams'"
    )
    got = as_grafana_runs(sql, 1763251200, 1763856000, {"team": "o'brien", "teams": "a"})
    assert got == (
        "SELECT 1 WHERE team = 'o''brien' AND x = 'o''brien' AND "
        "t BETWEEN '2025-11-16T00:00:00Z' AND '2025-11-23T00:00:00Z' AND "
        "at >= 1763251200 AND at < 1763856000 AND at >= 1763251200 AND at <= 1763856000 "
        "AND t > '2025-11-16T00:00:00Z' AND t < '2025-11-23T00:00:00Z' AND y = 'a'"
    )
    with pytest.raises(AssertionError, match="not filled in"):
        as_grafana_runs("SELECT $__timeGroup(t, 1h)", 0, 1, {})


# -- the ledger rows, by hand ----------------------------------------------------------------

# The week: Monday 2026-11-16 00:00 UTC to Monday 2026-11-23 00:00 UTC.
WEEK_START = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
WEEK_END = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
H = 3600.0


def at(day: int, hour: float = 0.0) -> float:
    """2026-11-<day> <hour>:00 UTC."""
    return datetime(2026, 11, day, tzinfo=UTC).timestamp() + hour * H


def outcome(
    ticket: str,
    target: str,
    result: str,
    deadline: float | None,
    stopped: float | None,
    *,
    team: str = "billing",
    agent: str = "ana",
    category: str = "inquiry",
    cycle: int = 0,
    late: float = 0.0,
) -> Outcome:
    return Outcome(
        ticket, target, cycle, team, agent, "email", "normal", "standard", category, "default",
        (deadline or stopped or 0.0) - 4 * H, deadline, stopped, result, late,
    )  # fmt: skip


def survey(event: str, ticket: str, ts: float, kind: str, score: int, team: str = "billing",
           agent: str = "ana") -> Survey:  # fmt: skip
    return Survey(event, ticket, ts, team, agent, "email", kind, score)


# When a row is "known" (`at`, streams/ledger/schema.py): a breach at its deadline, a met
# outcome when its clock stopped, a survey at its answer.
FIRST: list[Record] = [
    # B-1: breached on Tuesday, answered an hour late -> in the week
    outcome("B-1", "first_response", "breached", at(17, 10), at(17, 11), late=H),
    # B-2: met first response, breached resolution still running (no stop yet) -> in
    outcome("B-2", "first_response", "met", at(18, 9), at(18, 8), agent="bo", late=-H),
    outcome("B-2", "resolution", "breached", at(19, 12), None, agent="bo"),
    # B-3: next reply (cycle 1) breached on Sunday the 15th, answered on Monday the 16th:
    # known when it breached, the week before -> out
    outcome("B-3", "next_reply", "breached", at(15, 23.5), at(16, 1), cycle=1, late=1.5 * H),
    # B-4: breached at the very first second of the week -> in (from is inclusive)
    outcome("B-4", "first_response", "breached", WEEK_START, WEEK_START + 600, late=600.0),
    # B-5: breached at the very first second of the next week -> out (to is exclusive)
    outcome("B-5", "first_response", "breached", WEEK_END, WEEK_END + 60, late=60.0),
    # B-6: a complaint whose resolution breached on Friday -> in, and a complaint past target
    outcome(
        "B-6",
        "resolution",
        "breached",
        at(20, 15),
        at(20, 17),
        category="complaint",
        agent="cy",
        late=2 * H,
    ),
    # B-7: a complaint met -> neither breached nor past target; counts for cy's attainment
    outcome(
        "B-7",
        "first_response",
        "met",
        at(21, 9),
        at(21, 8),
        category="complaint",
        agent="cy",
        late=-H,
    ),
    # B-8: breached on Saturday, first recorded while still running (written again below)
    outcome("B-8", "next_reply", "breached", at(21, 10), None, agent=""),
    # an id with a quote, a slash and a space: a value, never SQL
    outcome("A'b/c 9", "first_response", "breached", at(22, 23), at(22, 23.5), late=0.5 * H),
    # a complaint that breached the week before -> out
    outcome("B-9", "resolution", "breached", at(14, 12), at(14, 13), category="complaint"),
    # met outcomes of the week: ana 1, dan 2 (one of them the week after: out)
    outcome("B-10", "first_response", "met", at(16, 12), at(16, 11), late=-H),
    outcome("B-11", "first_response", "met", at(17, 12), at(17, 11), agent="dan", late=-H),
    outcome("B-12", "resolution", "met", at(20, 12), at(20, 11), agent="dan", late=-H),
    outcome("B-13", "resolution", "met", at(23, 12), at(23, 11), agent="dan", late=-H),
    # another team's breach in the week -> never on billing's board
    outcome("T-1", "first_response", "breached", at(18, 10), at(18, 11), team="technical"),
    # a team whose name has a quote
    outcome("Q-1", "first_response", "breached", at(18, 10), at(18, 11), team="o'brien"),
    # surveys of the week: detractors are NPS 0-6 and CSAT 1-2
    survey("s1", "B-1", at(17, 20), "nps", 6),  # in: detractor
    survey("s2", "B-10", at(17, 21), "nps", 7),  # out: passive
    survey("s3", "B-2", at(18, 20), "csat", 2),  # in: dissatisfied
    survey("s4", "B-11", at(18, 21), "csat", 3),  # out
    survey("s5", "B-12", at(19, 20), "ces", 1),  # out: not a satisfaction score
    survey("s6", "B-6", at(21, 20), "nps", 0, agent="cy"),  # in
    survey("s7", "B-3", at(15, 20), "nps", 1),  # out: the week before
    survey("s8", "T-1", at(18, 20), "nps", 2, team="technical"),  # out: another team
]
# B-8 stopped at last: the same key, written again (a later batch), replaces the row.
SECOND: list[Record] = [outcome("B-8", "next_reply", "breached", at(21, 10), at(21, 14), agent="ed",
                                late=4 * H)]  # fmt: skip

# Worked out by hand from the rows above, in the tables' order (oldest `at` first).
BREACHED_IN_WEEK = [
    ("B-4", "first_response"),  # 16th 00:00
    ("B-1", "first_response"),  # 17th 10:00
    ("B-2", "resolution"),  # 19th 12:00
    ("B-6", "resolution"),  # 20th 15:00
    ("B-8", "next_reply"),  # 21st 10:00
    ("A'b/c 9", "first_response"),  # 22nd 23:00
]
DETRACTORS_IN_WEEK = [("B-1", "nps", 6), ("B-2", "csat", 2), ("B-6", "nps", 0)]
COMPLAINTS_PAST_TARGET = [("B-6", "resolution")]
# Per agent, outcomes known in the week (met when stopped, breached at the deadline):
#   ana  breached B-4, B-1, A'b/c 9; met B-10               -> 1 / 4
#   bo   met B-2 first response; breached B-2 resolution   -> 1 / 2
#   cy   breached B-6; met B-7                             -> 1 / 2
#   dan  met B-11, B-12 (B-13 is the week after)           -> 2 / 2
#   ed   breached B-8 (the agent of its latest record)     -> 0 / 1
AGENTS = [("ed", 0, 1, 0.0), ("ana", 1, 3, 0.25), ("bo", 1, 1, 0.5), ("cy", 1, 1, 0.5),
          ("dan", 2, 0, 1.0)]  # fmt: skip


@pytest.fixture
def ledger(postgres_url: str) -> Iterator[str]:
    """The hand-written rows in a PostgreSQL ledger, written as the worker writes them."""
    store = open_store(postgres_url)
    try:
        store.write(FIRST)
        store.write(SECOND)
    finally:
        store.close()
    yield postgres_url


def run(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


def week(title: str, team: str = "billing") -> str:
    return as_grafana_runs(panel_sql(title), WEEK_START, WEEK_END, {"team": team})


@pytest.mark.postgres
def test_breached_this_week_returns_the_weeks_breaches(ledger: str) -> None:
    rows = run(ledger, week("Breached, last 7 days"))
    assert [(r[0], r[1]) for r in rows] == BREACHED_IN_WEEK
    by_key = {(r[0], r[1]): r for r in rows}
    # B-8's row is its latest record: stopped 4 h late, by ed
    b8 = by_key[("B-8", "next_reply")]
    assert (b8[4], b8[6], b8[7], b8[8]) == (
        "ed",
        datetime.fromtimestamp(at(21, 10), UTC),
        datetime.fromtimestamp(at(21, 14), UTC),
        4 * H,
    )
    # a clock still running: no stop, no "late by" yet (the recorded 0 would read "on time")
    b2 = by_key[("B-2", "resolution")]
    assert (b2[7], b2[8]) == (None, None)


@pytest.mark.postgres
def test_the_team_variable_cannot_end_the_string(ledger: str) -> None:
    rows = run(ledger, week("Breached, last 7 days", team="o'brien"))
    assert [(r[0], r[1]) for r in rows] == [("Q-1", "first_response")]
    rows = run(ledger, week("Breached, last 7 days", team="x' OR '1'='1"))
    assert rows == []


@pytest.mark.postgres
def test_detractors_to_call_back(ledger: str) -> None:
    rows = run(ledger, week("Detractors to call back, last 7 days"))
    assert [(r[0], r[2], r[3]) for r in rows] == DETRACTORS_IN_WEEK


@pytest.mark.postgres
def test_complaints_past_target(ledger: str) -> None:
    rows = run(ledger, week("Complaints past target, last 7 days"))
    assert [(r[0], r[1]) for r in rows] == COMPLAINTS_PAST_TARGET


@pytest.mark.postgres
def test_sla_attainment_per_agent(ledger: str) -> None:
    rows = run(ledger, week("SLA attainment per agent, last 7 days"))
    assert [(r[0], r[1], r[2]) for r in rows] == [(a, m, b) for a, m, b, _ in AGENTS]
    assert [r[3] for r in rows] == pytest.approx([share for *_, share in AGENTS])


# -- the panels ------------------------------------------------------------------------------


def test_the_ledger_tables_are_well_formed() -> None:
    provisioned = yaml.safe_load((PROVISIONING / "datasources" / "servicepulse.yml").read_text())[
        "datasources"
    ]
    ledger = next(ds for ds in provisioned if ds["uid"] == ledger_tables.LEDGER_UID)
    assert ledger["type"] == ledger_tables.LEDGER_TYPE == "grafana-postgresql-datasource"
    docs = (ROOT / "docs" / "dashboards.md").read_text()
    variables = {v["name"]: v for v in BOARD["templating"]["list"]}
    assert variables["ticket_url"]["type"] == "textbox"
    for title in LEDGER_TITLES:
        p = panel(title)
        assert p["type"] == "table" and p["description"], title
        assert p["datasource"]["uid"] == ledger_tables.LEDGER_UID, title
        assert p["timeFrom"] == "7d", title
        (target,) = p["targets"]
        assert target["refId"] == "A" and target["format"] == "table", title
        assert target["datasource"]["uid"] == ledger_tables.LEDGER_UID, title
        assert "at >= $__unixEpochFrom() AND at < $__unixEpochTo()" in target["rawSql"], title
        assert "team = '$team'" in target["rawSql"], title
        assert f"**{title}**" in docs, f"docs/dashboards.md does not describe {title}"
        links = [
            prop["value"]
            for o in p["fieldConfig"]["overrides"]
            if o["matcher"] == {"id": "byName", "options": "Ticket"}
            for prop in o["properties"]
            if prop["id"] == "links"
        ]
        if title.startswith("SLA attainment per agent"):
            assert not links  # one row per agent: no ticket to open
            continue
        # the prefix raw, the ticket id URL-encoded (Grafana's default for a data link)
        assert links == [
            [
                {
                    "title": "Open ticket ${__value.raw} in the helpdesk",
                    "url": "${ticket_url:raw}${__value.raw}",
                    "targetBlank": True,
                }
            ]
        ], title


def test_the_journey_row_reads_the_stint_and_ola_rules() -> None:
    rules = (ROOT / "deploy" / "prometheus" / "rules" / "recording.yml").read_text()
    recorded = set(re.findall(r"record:\s*(\S+)", rules))
    titles = (
        "Journey across teams (24 h)",
        "Time held per team, p90 (24 h)",
        "OLA attainment of the team",
        "OLA breaches of the team",
    )
    exprs = [t["expr"] for title in titles for t in panel(title)["targets"]]
    used = {name for e in exprs for name in re.findall(r"\b(team[\w]*:[\w:]+)", e)}
    assert used <= recorded, used - recorded
    assert {
        "team:servicepulse_ola_attainment:ratio_rate1d",
        "team:servicepulse_ola_attainment:ratio_rate7d",
        "team:servicepulse_team_stint_seconds:p50_rate1d",
        "team:servicepulse_team_stint_seconds:p90_rate1d",
        "team_outcome:servicepulse_ola_outcomes:increase1d",
    } <= used


# -- the same table through a real Grafana -----------------------------------------------------


def grafana_build() -> tuple[Path, Path] | None:
    """(binary, home) of a Grafana built by deploy/grafana/build-grafana.sh, if there is one."""
    cache = Path(os.environ.get("GRAFANA_CACHE", ROOT / "var" / "grafana"))
    for home in sorted(cache.glob("v*")):
        if (home / ".built").exists() and (home / "bin" / "grafana").exists():
            return home / "bin" / "grafana", home
    return None


def grafana_call(url: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        url + path, data=None if body is None else json.dumps(body).encode()
    )
    req.add_header("Authorization", "Basic " + base64.b64encode(b"admin:sp-test-admin").decode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def grafana_on_the_ledger(ledger: str, tmp_path: Path) -> Iterator[str]:
    """A real Grafana provisioned with deploy/grafana/provisioning's ledger data source,
    pointed at the test's PostgreSQL. A Grafana before 10.4 knows the plugin as `postgres`
    (no alias `grafana-postgresql-datasource` yet): the provisioned type is changed to it
    there, everything else is the checked-in file."""
    built = grafana_build()
    if built is None:
        pytest.skip("no Grafana built: run deploy/grafana/build-grafana.sh (about 10-20 min)")
    binary, home = built
    provisioning = tmp_path / "provisioning"
    for sub in ("dashboards", "plugins", "alerting", "notifiers"):
        (provisioning / sub).mkdir(parents=True)
    (provisioning / "datasources").mkdir()
    text = (PROVISIONING / "datasources" / "servicepulse.yml").read_text()
    new_plugin = (
        home / "public" / "app" / "plugins" / "datasource" / "grafana-postgresql-datasource"
    )
    if not new_plugin.exists():
        text = text.replace("type: grafana-postgresql-datasource", "type: postgres")
    (provisioning / "datasources" / "servicepulse.yml").write_text(text)
    parsed = urllib.parse.urlsplit(ledger)
    port = free_port()
    env = {
        **os.environ,
        "GF_PATHS_DATA": str(tmp_path / "data"),
        "GF_PATHS_LOGS": str(tmp_path / "logs"),
        "GF_PATHS_PLUGINS": str(tmp_path / "plugins"),
        "GF_PATHS_PROVISIONING": str(provisioning),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(port),
        "GF_SECURITY_ADMIN_USER": "admin",
        "GF_SECURITY_ADMIN_PASSWORD": "sp-test-admin",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_LOG_MODE": "file",
        "SERVICEPULSE_PROMETHEUS_URL": "http://127.0.0.1:9090",
        "SERVICEPULSE_ALERTMANAGER_URL": "http://127.0.0.1:9093",
        "SERVICEPULSE_LEDGER_HOST": f"{parsed.hostname}:{parsed.port}",
        "SERVICEPULSE_LEDGER_DATABASE": parsed.path.lstrip("/"),
        "SERVICEPULSE_LEDGER_USER": parsed.username or "postgres",
        "SERVICEPULSE_LEDGER_PASSWORD": parsed.password or "",
        "SERVICEPULSE_LEDGER_SSLMODE": "disable",
    }
    proc = subprocess.Popen(
        [str(binary), "server", "--homepath", str(home)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/health", proc, "grafana", 120)
        yield url
    finally:
        stop([proc])


@pytest.mark.postgres
@pytest.mark.grafana
@pytest.mark.timeout(300)
def test_grafana_answers_the_breached_table_from_the_ledger(grafana_on_the_ledger: str) -> None:
    """/api/ds/query with the panel's query as the browser sends it: the team variable
    interpolated (the browser's part), the macros left to Grafana's server."""
    (target,) = panel("Breached, last 7 days")["targets"]
    query = {**target, "rawSql": target["rawSql"].replace("$team", "billing")}
    body = {
        "queries": [query],
        "from": str(int(WEEK_START * 1000)),
        "to": str(int(WEEK_END * 1000)),
    }
    try:
        answer = grafana_call(grafana_on_the_ledger, "/api/ds/query", body)
    except urllib.error.HTTPError as e:
        pytest.fail(f"/api/ds/query answered {e.code}: {e.read().decode(errors='replace')}")
    (frame,) = answer["results"]["A"]["frames"]
    names = [f["name"] for f in frame["schema"]["fields"]]
    values = frame["data"]["values"]
    tickets, targets = values[names.index("Ticket")], values[names.index("Target")]
    assert list(zip(tickets, targets, strict=True)) == BREACHED_IN_WEEK
