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
