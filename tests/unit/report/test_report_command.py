"""``servicepulse report`` against a stand-in Prometheus: any valid team name makes a report
(a ``$`` is not TeX, ``all`` is a team like any other), and ``--pdf`` works with a relative
``--out``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TEX_TEAM = "bad$\\notacmd$team"  # printable, at most 64 characters: a valid label value
# every counter of the week grew by 3 for TEX_TEAM and by 5 for the team "all"
GROWN = {TEX_TEAM: 3.0, "all": 5.0}


class StandIn(BaseHTTPRequestHandler):
    """Answers /api/v1/query: per team for ``sum by (team)``, their sum for a plain ``sum``."""

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["query"][0]
        if query.startswith("sum by (team)"):
            result = [{"metric": {"team": t}, "value": [0, str(v)]} for t, v in GROWN.items()]
        else:
            result = [{"metric": {}, "value": [0, str(sum(GROWN.values()))]}]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

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
        [
            sys.executable,
            "-m",
            "streams.cli",
            "report",
            "--prometheus",
            url,
            "--week",
            "2026-W46",
            *extra,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), **(env or {})},
    )


def cell(page: str, team: str, figure: str) -> str:
    escaped = re.escape(team.replace("'", "&#x27;"))
    found = re.search(rf"<td data-team='{escaped}' data-figure='{figure}'>([^<]*)</td>", page)
    assert found is not None, (team, figure)
    return found.group(1)


def test_a_team_named_with_dollars_and_a_team_named_all_each_get_their_row(
    prometheus: str, tmp_path: Path
) -> None:
    done = report(prometheus, tmp_path, "--out", "week.html")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert cell(page, TEX_TEAM, "volume") == "3"
    assert cell(page, "all", "volume") == "5"
    # the headline is every team together (3 + 5), not the team called "all"
    assert re.search(r"<div class='value' data-figure='volume'>8</div>", page)
    # the charts are drawn: one SVG per figure
    assert page.count("<svg") == 4


def test_a_pdf_beside_a_relative_out_is_rendered_from_its_absolute_path(
    prometheus: str, tmp_path: Path
) -> None:
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
