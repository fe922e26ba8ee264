"""The weekly report of a backfilled week shows, for every team and every figure, what the
events say: the figures are computed here from the events alone (a plain walk through them,
with the contract's rules), the events are backfilled into a real Prometheus, and the
report's HTML cells, text part and mail are read back.

The history: 80 teams over ISO weeks 2026-W44 and W45 (and one ticket each side of them, so
that W44 starts and W45 ends with data): g1-g5 busy (40-80 tickets a week), g6-g70 small (1-6),
g71-g80 active in W44 only (every ticket done: idle in W45). Phone, chat and email; answers
within and past the 1 h first-response target, resolutions within and past 1 d, abandons
short (3 s) and not, tickets left open, transfers, reopens, CSAT answers. 24x7 policy, so a
clock's time is the wall-clock difference.
"""

from __future__ import annotations

import contextlib
import email.policy
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.processes import free_port

pytestmark = pytest.mark.prometheus

W44 = datetime(2026, 10, 26, tzinfo=UTC).timestamp()  # Monday 00:00 UTC of 2026-W44
WEEK = 7 * 86400.0
HOUR = 3600.0
FIRST_RESPONSE, RESOLUTION = 3600.0, 86400.0  # the policy's targets
SHORT_ABANDON = 10.0  # the policy file's default short_abandon
THRESHOLD = {"phone": 20.0, "chat": 20.0, "email": 3600.0}  # service level, per channel
LIVE = ("phone", "chat")
POLICY = """\
policies:
  - name: round-the-clock
    match: {}
    calendar: always
    targets: {first_response: 1h, resolution: 1d}
objectives:
  first_response: 95%
  resolution: 90%
  teams: {g2: {first_response: 80%}}
"""
TEAMS = [f"g{i}" for i in range(1, 81)]


# ---- the history -----------------------------------------------------------------------------


def history() -> list[dict[str, Any]]:
    """Every event of the test history, in time order."""
    rng = random.Random(23)
    events: list[dict[str, Any]] = []
    serial = 0

    def emit(at: float, ticket: str, type_: str, **fields: Any) -> None:
        nonlocal serial
        serial += 1
        stamp = datetime.fromtimestamp(at, UTC).isoformat()
        events.append({"event_id": f"e{serial}", "type": type_, "ticket_id": ticket,
                       "ts": stamp, **fields})  # fmt: skip

    def ticket(name: str, team: str, created: float, channel: str, fate: str) -> None:
        emit(created, name, "ticket.created", team=team, channel=channel, priority="normal",
             customer_id=f"c-{name}")  # fmt: skip
        answer = created + rng.choice([4, 15, 20, 21, 45, 300, 1900, 3500, 3700, 7000])
        if fate == "abandoned":
            emit(created + rng.choice([3, 9, 30, 95]), name, "contact.abandoned")
            return
        if fate == "silent":  # never answered: breached at +1 h and +1 d, open at the end
            return
        emit(answer, name, "message.agent", agent_id="a1")
        if fate == "answered":  # answered, never resolved: open at the end
            return
        if fate == "transferred":
            to = "g1" if team != "g1" else "g2"
            emit(answer + 60, name, "ticket.transferred", from_team=team, to_team=to)
            emit(answer + 3 * HOUR, name, "ticket.resolved")
            return
        solved = created + rng.choice([2 * HOUR, 9 * HOUR, 23 * HOUR, 30 * HOUR])
        solved = max(solved, answer + 60)
        emit(solved, name, "ticket.resolved")
        if fate == "reopened":
            emit(solved + HOUR, name, "ticket.reopened")
            emit(solved + 3 * HOUR, name, "ticket.resolved")
            solved += 3 * HOUR
        if rng.random() < 0.6:
            emit(solved + 600, name, "survey.response", kind="csat", score=rng.randint(1, 5))

    fates = ["resolved"] * 10 + ["abandoned"] * 2 + ["silent", "answered", "transferred",
                                                     "reopened"]  # fmt: skip
    for week in (0, 1):
        start = W44 + week * WEEK
        for index, team in enumerate(TEAMS, start=1):
            if index > 70 and week == 1:
                continue  # g71-g80: idle in W45
            count = 40 + 10 * index if index <= 5 else 1 + index % 6
            for n in range(count):
                # Tuesday to Thursday: every deadline (at most 1 d) falls in the same week
                created = start + 86400 + rng.randrange(0, 2 * 86400)
                fate = rng.choice(fates) if index <= 70 else "resolved"
                channel = rng.choice(["phone", "chat", "email"])
                if fate == "abandoned" and channel == "email":
                    channel = "phone"
                ticket(f"{team}-{week}-{n}", team, created, channel, fate)
    # data before W44 starts and after W45 ends: both weeks are covered from end to end
    ticket("early", "g1", W44 - 3 * HOUR, "email", "first")
    # (two tickets: the engine believes a jump of days ahead once a second ticket confirms it)
    ticket("late", "g1", W44 + 2 * WEEK + 1800, "email", "first")
    ticket("later", "g2", W44 + 2 * WEEK + 2400, "email", "first")
    events.sort(key=lambda e: e["ts"])
    return events


# ---- the figures, from the events alone ------------------------------------------------------


def independent(events: list[dict[str, Any]], start: float) -> dict[str, dict[str, Any]]:
    """team -> the week's counts and durations, by the contract's rules (24x7 clocks):
    a fact counts in the week of its instant, under the ticket's team at that instant; a
    clock breaches at its deadline if not stopped before; a reopen resumes the resolution
    clock with its time kept, as a new cycle."""
    end = start + WEEK
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    tickets: dict[str, dict[str, Any]] = {}

    def count(t: float, team: str, name: str, value: float = 1.0) -> None:
        if start < t <= end:
            out[team][name] += value

    def sample(t: float, team: str, name: str, value: float) -> None:
        if start < t <= end:
            out[team].setdefault(name, []).append(value)

    def deadlines(until: float) -> None:
        for k in tickets.values():
            if k["done"]:
                continue
            for target, due in list(k["due"].items()):
                if due < until:
                    count(due, k["team"], "breached")
                    count(due, k["team"], f"breached:{target}")
                    del k["due"][target]

    def stop(k: dict[str, Any], target: str, t: float) -> None:
        """A running clock stopped before its deadline: met, under the team of the moment."""
        if target in k["due"]:
            del k["due"][target]
            count(t, k["team"], "met")
            count(t, k["team"], f"met:{target}")

    backlog: dict[str, float] | None = None

    def open_now() -> dict[str, float]:
        teams: dict[str, float] = defaultdict(float)
        for k in tickets.values():
            if not k["done"]:
                teams[k["team"]] += 1.0
        return teams

    for e in events:
        t = datetime.fromisoformat(e["ts"]).timestamp()
        if t > end and backlog is None:
            backlog = open_now()  # what is open at the week's end
        deadlines(t)
        kind, tid = e["type"], e["ticket_id"]
        if kind == "ticket.created":
            tickets[tid] = k = {"team": e["team"], "channel": e["channel"], "created": t,
                                "due": {"first_response": t + FIRST_RESPONSE,
                                        "resolution": t + RESOLUTION},
                                "answered": False, "done": False, "replies": 0,
                                "transferred": False, "reopened": False,
                                "elapsed": 0.0, "since": t}  # fmt: skip
            count(t, k["team"], "created")
            if k["channel"] in LIVE:
                count(t, k["team"], "live_created")
            continue
        k = tickets[tid]
        team = k["team"]

        if kind == "message.agent":
            k["replies"] += 1
            if not k["answered"]:
                k["answered"] = True
                waited = t - k["created"]
                count(t, team, "answered")
                sample(t, team, "first_response", waited)
                if waited <= THRESHOLD[k["channel"]]:
                    count(t, team, "within")
                if k["channel"] in LIVE:
                    count(t, team, "asa_sum", waited)
                    count(t, team, "asa_count")
                stop(k, "first_response", t)
        elif kind == "contact.abandoned":
            k["done"] = True
            k["due"].clear()
            count(t, team, "abandoned")
            if t - k["created"] < SHORT_ABANDON:
                count(t, team, "abandoned_short")
            if k["channel"] in LIVE:
                count(t, team, "live_abandoned")
        elif kind == "ticket.transferred":
            count(t, team, "handoffs")
            k["team"] = e["to_team"]
            k["transferred"] = True
        elif kind == "ticket.resolved":
            k["done"] = True
            count(t, team, "resolved")
            if k["replies"] <= 1 and not k["transferred"] and not k["reopened"]:
                count(t, team, "fcr")
            stop(k, "first_response", t)
            k["elapsed"] += t - k["since"]
            sample(t, team, "resolution", k["elapsed"])
            stop(k, "resolution", t)
        elif kind == "ticket.reopened":
            k["done"] = False
            k["reopened"] = True
            count(t, team, "reopened")
            k["since"] = t
            if k["elapsed"] > RESOLUTION:  # a new cycle already past its target
                count(t, team, "breached")
                count(t, team, "breached:resolution")
            else:
                k["due"]["resolution"] = t + RESOLUTION - k["elapsed"]
        elif kind == "survey.response":
            count(t, team, "csat_all")
            if e["score"] >= 4:
                count(t, team, "csat_good")
    deadlines(end + 1)
    for team, count_ in (open_now() if backlog is None else backlog).items():
        out[team]["backlog"] = count_
    return {team: dict(v) for team, v in out.items()}


def interpolated(q: float, values: list[float], edges: tuple[float, ...]) -> float:
    """Prometheus's histogram_quantile over these values put in buckets with these edges."""
    bounds = [*edges, math.inf]
    counts = [sum(1 for v in values if v <= b) for b in bounds]
    rank = q * len(values)
    i = next(i for i, c in enumerate(counts) if c >= rank)
    assert i < len(edges), "the test's durations stay below the top edge"
    lower, below = (edges[i - 1], counts[i - 1]) if i else (0.0, 0)
    return lower + (edges[i] - lower) * (rank - below) / (counts[i] - below)


def expected(figures: dict[str, Any], edges: tuple[float, ...]) -> dict[str, float | None]:
    """The report's figures of one team from its counts, by the contract's definitions."""

    def get(name: str) -> float:
        return float(figures.get(name, 0.0))

    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    met, breached = get("met"), get("breached")
    out: dict[str, float | None] = {
        "volume": get("created"),
        "abandonment": ratio(get("live_abandoned"), get("live_created")),
        "service_level": ratio(
            get("within"), get("answered") + get("abandoned") - get("abandoned_short")
        ),
        "asa": ratio(get("asa_sum"), get("asa_count")),
        "sla": ratio(met, met + breached),
        "breaches": breached,
        "handoffs": get("handoffs"),
        "reopen_rate": ratio(get("reopened"), get("resolved")),
        "csat": ratio(get("csat_good"), get("csat_all")),
        "fcr": ratio(get("fcr"), get("resolved")),
        "backlog": get("backlog"),
    }
    for target in ("first_response", "resolution"):
        m, b = get(f"met:{target}"), get(f"breached:{target}")
        out[f"met:{target}"] = ratio(m, m + b)
    for name, key in (("first_response", "fr"), ("resolution", "res")):
        values = figures.get(name, [])
        for q, suffix in ((0.5, "p50"), (0.9, "p90")):
            out[f"{key}_{suffix}"] = interpolated(q, values, edges) if values else None
    return out


# ---- Prometheus and the report -----------------------------------------------------------------


def query(url: str, expr: str, at: float) -> list[Any]:
    params = urllib.parse.urlencode({"query": expr, "time": str(at)})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=30) as response:
        return list(json.load(response)["data"]["result"])


@contextlib.contextmanager
def prometheus_on(data: Path, at: float) -> Iterator[str]:
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
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        pytest.skip("needs prometheus and promtool on PATH")
    tmp = tmp_path_factory.mktemp("report")
    events = history()
    jsonl = tmp / "history.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    policy = tmp / "policy.yml"
    policy.write_text(POLICY)
    blocks = tmp / "blocks"
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "backfill", str(jsonl), "--out", str(blocks),
         "--policy", str(policy), "--step", "1h", "--no-rules"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert " 0 rejected" in result.stderr, result.stderr
    with prometheus_on(blocks, W44 + 2 * WEEK) as url:
        yield {"url": url, "events": events, "tmp": tmp, "policy": policy}


def run_report(
    backfilled: dict[str, Any], week: str, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    out = backfilled["tmp"] / f"report-{week}.html"
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "report", "--prometheus", backfilled["url"],
         "--week", week, "--policy", str(backfilled["policy"]), "--out", str(out), *extra],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done, out.read_text(encoding="utf-8")


def cells(page: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(team, figure) -> (data-value, text) of every team cell."""
    found = re.findall(
        r"data-value='([^']*)' data-team='([^']*)' data-figure='([^']+)'>([^<]*)<", page
    )
    return {(team, figure): (value, text) for value, team, figure, text in found}


@pytest.fixture(scope="module")
def w45(backfilled: dict[str, Any]) -> dict[str, Any]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import AsyncMessage

    received: list[bytes] = []

    class Keep(AsyncMessage):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.original_content)
            return "250 OK"

        async def handle_message(self, message: Message) -> None:
            pass

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    env = {"SERVICEPULSE_SMTP_HOST": "127.0.0.1", "SERVICEPULSE_SMTP_PORT": str(port)}
    pdf = ("--pdf",) if shutil.which("chromium") else ()
    try:
        done, page = run_report(
            backfilled, "2026-W45", *pdf, "--mail-to", "lead@example.com", env=env
        )
    finally:
        controller.stop()
    assert len(received) == 1
    return {"page": page, "mail": received[0], "stderr": done.stderr, "pdf": bool(pdf)}


@pytest.fixture(scope="module")
def w45_all(backfilled: dict[str, Any]) -> dict[str, Any]:
    """The same week with a row for every team (--top 80)."""
    done, page = run_report(backfilled, "2026-W45", "--top", "80")
    return {"page": page, "stderr": done.stderr}


def test_every_figure_of_every_team_equals_the_events_own_count(
    backfilled: dict[str, Any], w45_all: dict[str, Any]
) -> None:
    from streams.export.catalogue import DURATION_BUCKETS  # the edges, whatever they are

    events = backfilled["events"]
    this = independent(events, W44 + WEEK)
    got = cells(w45_all["page"])
    compared = 0
    for team in TEAMS[:70]:  # the teams active in W45, each with a row (--top 80)
        for figure, want in expected(this[team], DURATION_BUCKETS).items():
            value, text = got[(team, figure)]
            if want is None:
                assert (value, text) == ("", "\u2014"), (team, figure)  # never a 0
            else:
                assert float(value) == pytest.approx(want, rel=1e-9, abs=1e-9), (team, figure)
            compared += 1
    assert compared == 70 * 17


def test_idle_teams_fold_into_all_others_instead_of_rows_of_zeros(
    w45_all: dict[str, Any],
) -> None:
    page = w45_all["page"]
    assert cells(page)[("g5", "volume")][1] == "90"  # 40 + 10 x 5 tickets in the week
    # g71-g80 had nothing in W45: folded into "all others", not ten rows of zeros
    assert "data-team='g71'" not in page
    assert "No contacts and nothing open this week" in page
    assert "g71, g72, g73, g74, g75, g76, g77, g78, g79, g80" in page


def test_beyond_the_top_15_the_teams_are_one_all_others_row(w45: dict[str, Any]) -> None:
    page = w45["page"]
    table = page[page.index('data-table="teams"') :]
    names = re.findall(r"<tr><th class='t'>([^<]+)</th>", table)[1:]
    assert len(names) == 16 and names[-1] == "all others (65 teams)"
    # 40 + 10 i tickets for g1-g5, then 1 + (i mod 6): six for g11, g17, ... g65
    assert names[:15] == ["g5", "g4", "g3", "g2", "g1", "g11", "g17", "g23", "g29", "g35",
                          "g41", "g47", "g53", "g59", "g65"]  # fmt: skip


def test_rows_follow_volume_and_then_the_natural_order_of_names(
    w45_all: dict[str, Any],
) -> None:
    page = w45_all["page"]
    table = page[page.index('data-table="teams"') :]
    names = re.findall(r"<tr><th class='t'>([^<]+)</th>", table)[1:]  # after the header
    volumes = {t: float(v) for v, t in re.findall(
        r"data-value='([^']*)' data-team='([^']*)' data-figure='volume'", table)}  # fmt: skip
    teams = [n for n in names if not n.startswith("all others")]
    assert teams == sorted(teams, key=lambda t: (-volumes[t], int(t[1:])))
    assert names[-1] == "all others (10 teams)"


def test_the_week_before_the_trend_and_the_totals_agree_with_the_events(
    backfilled: dict[str, Any], w45: dict[str, Any]
) -> None:
    from streams.export.catalogue import DURATION_BUCKETS

    events, page = backfilled["events"], w45["page"]
    trend = dict(
        ((week, figure), value)
        for week, figure, value in re.findall(
            r"data-week='([^']+)' data-figure='([^']+)' data-value='([^']*)'", page
        )
    )
    for week, start in (("2026-W44", W44), ("2026-W45", W44 + WEEK)):
        teams = independent(events, start)
        total: dict[str, Any] = defaultdict(float)
        for figures in teams.values():
            for name, value in figures.items():
                if isinstance(value, list):
                    total.setdefault(name, [])
                    total[name] = [*total[name], *value]
                else:
                    total[name] += value
        want = expected(total, DURATION_BUCKETS)
        for figure in ("volume", "sla", "abandonment", "service_level", "fr_p90", "res_p90",
                       "breaches", "backlog", "csat"):  # fmt: skip
            assert float(trend[(week, figure)]) == pytest.approx(want[figure]), (week, figure)
    # the ten weeks before W44 have no data: no figure, not zeros
    assert trend[("2026-W34", "volume")] == "" and trend[("2026-W43", "volume")] != ""
    assert re.search(r"data-week='2026-W35' data-figure='volume' data-value=''>\u2014<", page)


def test_attainment_is_coloured_against_the_teams_own_objective(w45: dict[str, Any]) -> None:
    """g2's first-response objective is 80 % (the policy's team override), the others' 95 %."""
    page = w45["page"]
    for team in ("g1", "g2", "g3"):
        found = re.search(
            rf"class='(\w+)' data-value='([^']*)' data-team='{team}' "
            r"data-figure='met:first_response'",
            page,
        )
        assert found, team
        tone, value = found.group(1), float(found.group(2))
        objective = 0.80 if team == "g2" else 0.95
        assert tone == ("good" if value >= objective else "bad"), (team, value)


def test_small_samples_have_no_arrow_and_no_colour(w45_all: dict[str, Any]) -> None:
    """g6-g70 have at most 6 tickets a week: under MIN_SAMPLE, grey and without an arrow."""
    page = w45_all["page"]
    row = page[page.index("<th class='t'>g7</th>") :]
    row = row[: row.index("</tr>")]
    assert "data-change='sla'" not in row and "data-change='csat'" not in row
    assert re.search(r"class='few' data-value='[^']+' data-team='g7' data-figure='sla'", row)
    assert "data-change='volume'" in row  # a count has no sample: its change is shown


def test_the_mail_has_a_text_summary_an_html_part_with_its_chart_and_is_small(
    w45: dict[str, Any],
) -> None:
    mail = message_from_bytes(w45["mail"], policy=email.policy.default)
    assert len(w45["mail"]) < 300 * 1024
    parts = {p.get_content_type(): p for p in mail.walk()}
    text = parts["text/plain"].get_content()
    assert text.startswith("ServicePulse service report, week 2026-W45")
    assert "attached" not in text.split("\n")[2]
    html_part = parts["text/html"].get_content()
    assert "src='cid:trend@servicepulse'" in html_part
    assert parts["image/png"]["Content-ID"] == "<trend@servicepulse>"
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", html_part, re.I)
    assert "<svg" not in html_part and "flex" not in html_part
    assert "mailed to lead@example.com" in w45["stderr"]
    if w45["pdf"]:  # the PDF is attached, its tables' headers repeat on every page
        assert "application/pdf" in parts
        assert "thead { display: table-header-group; }" in html_part


def test_a_week_whose_week_before_began_mid_week_is_flagged(backfilled: dict[str, Any]) -> None:
    """W43 has one ticket, on its Sunday: W44's week before is partial, W44 is not."""
    _, page = run_report(backfilled, "2026-W44")
    assert "The week before is partial: data only from Sun 25 Oct" in page
    assert "This week is partial" not in page
