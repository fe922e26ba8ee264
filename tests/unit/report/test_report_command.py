"""``servicepulse report`` against a stand-in Prometheus: any valid team name makes a report
(a ``$`` is not TeX, ``all`` is a team like any other), ``--pdf`` works with a relative
``--out``, a user's mistake is one line, and the mail of 80 teams is small, email-safe and
readable as text."""

from __future__ import annotations

import email.policy
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TEX_TEAM = "bad$\\notacmd$team"  # printable, at most 64 characters: a valid label value
MANY = [f"team-{i}" for i in range(1, 81)]
EDGES = ("10.0", "20.0", "60.0", "300.0", "3600.0", "86400.0", "+Inf")


def teams_of(query: str) -> dict[str, float]:
    """Every counter of the week grew by 3 for TEX_TEAM and by 5 for "all"; the 80 teams of
    the big stand-in by 20 + their number (their volume decides the order)."""
    if "team-" in STATE["mode"]:
        return {t: 20.0 + i for i, t in enumerate(MANY, start=1)}
    return {TEX_TEAM: 3.0, "all": 5.0}


STATE = {"mode": "two"}


def series(query: str) -> list[tuple[dict[str, str], float]]:
    teams = teams_of(query)
    if query.startswith("count("):  # coverage: data all the time
        return [({}, 1.0)]
    if "by (team, le)" in query:
        return [
            ({"team": t, "le": le}, v * (i + 1) / len(EDGES))
            for t, v in teams.items()
            for i, le in enumerate(EDGES)
        ]
    label = "from_team" if "by (from_team)" in query else "team"
    return [({label: t}, v) for t, v in teams.items()]


class StandIn(BaseHTTPRequestHandler):
    """/api/v1/query and /api/v1/query_range, the same values at every instant."""

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        found = series(params["query"])
        if url.path.endswith("query_range"):
            start, end, step = (float(params[k]) for k in ("start", "end", "step"))
            times = [start + i * step for i in range(int((end - start) // step) + 1)]
            result = [{"metric": m, "values": [[t, str(v)] for t in times]} for m, v in found]
            data: dict[str, object] = {"resultType": "matrix", "result": result}
        else:
            vector = [{"metric": m, "value": [0, str(v)]} for m, v in found]
            data = {"resultType": "vector", "result": vector}
        body = json.dumps({"status": "success", "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def report(
    url: str, cwd: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "report", "--prometheus", url,
         "--week", "2026-W46", *extra],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), **(env or {})},
    )  # fmt: skip


def cell(page: str, team: str, figure: str) -> str:
    escaped = re.escape(team.replace("'", "&#x27;"))
    found = re.search(rf"data-team='{escaped}' data-figure='{figure}'>([^<]*)<", page)
    assert found is not None, (team, figure)
    return found.group(1)


def test_a_team_named_with_dollars_and_a_team_named_all_each_get_their_row(
    prometheus: str, tmp_path: Path
) -> None:
    STATE["mode"] = "two"
    done = report(prometheus, tmp_path, "--out", "week.html")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert cell(page, TEX_TEAM, "volume") == "3"
    assert cell(page, "all", "volume") == "5"
    # the headline is every team together (3 + 5), not the team called "all"
    assert re.search(r"class='value \w+' data-figure='volume'>8</div>", page)
    # the chart is a PNG inside the file, nothing to fetch
    assert page.count("src='data:image/png;base64,") == 1


def test_a_pdf_beside_a_relative_out_is_rendered_from_its_absolute_path(
    prometheus: str, tmp_path: Path
) -> None:
    STATE["mode"] = "two"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    chromium = bin_dir / "chromium"  # writes the URI it was given into the "PDF"
    chromium.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";;'
        ' file://*) uri="$a";; esac; done\n'
        'printf "%s" "$uri" > "$out"\n'
    )
    chromium.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = report(prometheus, tmp_path, "--out", "week.html", "--pdf", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    pdf = tmp_path / "week.pdf"
    assert pdf.read_text() == (tmp_path / "week.html").resolve().as_uri()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "2026-W99"), "--week '2026-W99': expected an ISO week like 2026-W47"),
        (("--top", "0"), "--top 0: must be at least 1"),
        (("--policy", "/nonexistent/policy.yml"), "/nonexistent/policy.yml"),
    ],
)
def test_a_users_mistake_is_one_line_without_a_traceback(
    prometheus: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = report(prometheus, tmp_path, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr


def test_an_unreachable_prometheus_is_one_line(tmp_path: Path) -> None:
    done = report("http://127.0.0.1:9", tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("servicepulse: error: cannot query Prometheus at")


def test_the_mail_of_80_teams_is_small_email_safe_and_has_a_real_text_part(
    prometheus: str, tmp_path: Path
) -> None:
    from streams.report.charts import trend_png
    from streams.report.figures import Prometheus, weekly_report
    from streams.report.mail import MAX_MAIL_BYTES, build_message
    from streams.report.render import render_html, render_text

    STATE["mode"] = "team-"
    week = weekly_report(Prometheus(prometheus), "2026-W46", now=1_800_000_000.0)
    assert len(week.this) == 80
    png = trend_png(week)
    html_text = render_html(week, prometheus, None, {"trend": "cid:trend@servicepulse"})
    pdf = b"%PDF-1.4 " + bytes(70_000)  # the size chromium's 80-team PDF has (67 KB, measured)
    message = build_message("report", render_text(week), html_text, {"trend": png},
                            {"report.pdf": pdf}, ["lead@example.com"])  # fmt: skip
    raw = message.as_bytes()
    assert len(raw) < MAX_MAIL_BYTES == 300 * 1024
    # email-safe: nothing fetched from outside, no inline SVG, no flex layout
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", html_text, re.I)
    assert "<svg" not in html_text and "flex" not in html_text
    assert "display:table-header-group" in html_text.replace(" ", "")  # PDF headers repeat
    parsed = message_from_bytes(raw, policy=email.policy.default)
    kinds = [p.get_content_type() for p in parsed.walk()]
    assert kinds == ["multipart/mixed", "multipart/alternative", "text/plain",
                     "multipart/related", "text/html", "image/png", "application/pdf"]  # fmt: skip
    text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    body = text.get_content()
    # the busiest team leads the table (team-80: 100 contacts), then "all others (65 teams)"
    assert re.search(r"\n  team-80 +100 ", body)
    assert "all others (65 teams)" in body
    assert "team-9 " not in body.split("Per team")[1]


# ---- the tickets of the ledger (--ledger, --data-dir, --ticket-url) ---------------------------

W46 = 1_794_182_400.0  # Monday 2026-11-09 00:00 UTC


def write_ledger(path: Path, teams: list[str], per_team: int) -> None:
    """``per_team`` breaches (1..n minutes late) and NPS detractors per team, in 2026-W46."""
    from streams.core.records import Outcome, Survey
    from streams.ledger.store import open_store

    records: list[Outcome | Survey] = []
    for team in teams:
        for i in range(1, per_team + 1):
            ticket = f"{team}/T-{i}"
            deadline = W46 + 3600.0 * i
            records.append(
                Outcome(
                    ticket,
                    "first_response",
                    0,
                    team,
                    f"agent-{i}",
                    "chat",
                    "high",
                    "standard",
                    "inquiry",
                    "default",
                    deadline - 900.0,
                    deadline,
                    deadline + 60.0 * i,
                    "breached",
                    60.0 * i,
                )
            )
            records.append(Survey(f"{ticket}:s", ticket, deadline, team, "", "chat", "nps", 3))
    store = open_store(str(path))
    store.write(records)
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ledger", "/nonexistent/ledger.sqlite3"), "no ledger at /nonexistent/ledger.sqlite3"),
        (("--data-dir", "/nonexistent"), "no ledger at /nonexistent/ledger.sqlite3"),
        (("--ticket-url", "https://hd/{ticket_id}"), "--ticket-url needs a ledger"),
        (("--data-dir", ".", "--ticket-url", "https://hd/x"), "must contain {ticket_id}"),
    ],
)
def test_a_ledger_mistake_is_one_line_without_a_traceback(
    prometheus: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    STATE["mode"] = "two"
    done = report(prometheus, tmp_path, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr
    assert not list(tmp_path.glob("*.html"))


def test_the_data_dirs_ledger_lists_each_teams_tickets_with_links(
    prometheus: str, tmp_path: Path
) -> None:
    STATE["mode"] = "two"
    write_ledger(tmp_path / "ledger.sqlite3", ["all", TEX_TEAM], 7)
    done = report(prometheus, tmp_path, "--out", "week.html", "--data-dir", str(tmp_path),
                  "--ticket-url", "https://hd.example.com/t/{ticket_id}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    # "all" (5 contacts) before TEX_TEAM (3); the 5 most late of 7, 7 min down to 3 min
    assert re.findall(r"data-tickets='([^']*)'", page) == ["all", TEX_TEAM]
    section = page.split("data-table='breaches' data-team='all'>")[1].split("</table>")[0]
    assert re.findall(r"data-ticket='([^']*)'", section) == [f"all/T-{i}" for i in (7, 6, 5, 4, 3)]
    assert "<a href='https://hd.example.com/t/all%2FT-7' style='color:#0b57d0'>all/T-7</a>" in page
    assert "Worst breaches (5 of 7)" in page and ">7.0 min<" in page
    # without the ledger options, no ticket at all
    done = report(prometheus, tmp_path, "--out", "plain.html")
    assert done.returncode == 0, done.stderr
    assert "data-ticket=" not in (tmp_path / "plain.html").read_text(encoding="utf-8")


def test_the_mail_of_80_teams_with_their_tickets_stays_small(
    prometheus: str, tmp_path: Path
) -> None:
    from streams.ledger.store import open_store
    from streams.report.charts import trend_png
    from streams.report.figures import Prometheus, weekly_report
    from streams.report.mail import MAX_MAIL_BYTES, build_message
    from streams.report.render import render_html, render_text
    from streams.report.tickets import read_week

    STATE["mode"] = "team-"
    path = tmp_path / "ledger.sqlite3"
    write_ledger(path, MANY, 20)
    store = open_store(str(path), create=False)
    tickets = read_week(store, W46)
    store.close()
    week = weekly_report(Prometheus(prometheus), "2026-W46", now=1_800_000_000.0)
    template = "https://helpdesk.example.com/agent/tickets/{ticket_id}"
    html_text = render_html(week, prometheus, None, {"trend": "cid:trend@servicepulse"},
                            tickets=tickets, template=template)  # fmt: skip
    text = render_text(week, tickets=tickets, template=template)
    pdf = b"%PDF-1.4 " + bytes(70_000)
    message = build_message("report", text, html_text, {"trend": trend_png(week)},
                            {"report.pdf": pdf}, ["lead@example.com"])  # fmt: skip
    assert len(message.as_bytes()) < MAX_MAIL_BYTES
    # the 15 busiest teams get a section; links go to the helpdesk only, nothing is fetched
    assert len(re.findall(r"data-tickets='", html_text)) == 15
    assert not re.search(r"src\s*=\s*['\"]?\s*(https?:)?//", html_text, re.I)
    hrefs = re.findall(r"href='([^']*)'", html_text)
    assert len(hrefs) == 15 * 10
    assert all(h.startswith("https://helpdesk.example.com/agent/tickets/team-") for h in hrefs)
    assert "<svg" not in html_text and "flex" not in html_text
    assert "Also with breaches or detractors: " in html_text
