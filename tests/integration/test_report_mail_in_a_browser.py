"""The weekly report's mail as a reader gets it: ``servicepulse report --pdf --mail-to`` for
80 and 300 teams against a stand-in Prometheus, received by a local SMTP server, its HTML part
rendered by a headless Chromium with the network cut off (every request goes to a proxy
that is not there; Chromium's net log says what the page asked for).

* the page asks for nothing outside the mail: no request at all on the network;
* its charts resolve once the ``cid:`` parts are inlined, as a mail client does: every image
  has loaded and has a width;
* the mail is under 300 KB at 5, 80 and 300 teams, and its page does not grow with the teams:
  the table is the 15 busiest teams and one "all others" row, the teams folded into it are
  named up to 40, the PDF has as many pages at 300 teams as at 80.

Skipped where there is no Chromium.
"""

from __future__ import annotations

import base64
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from email import message_from_bytes
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
EDGES = ("10.0", "20.0", "60.0", "300.0", "3600.0", "86400.0", "+Inf")
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium to render the mail")
MAX_MAIL = 300 * 1024


def stand_in(teams: int) -> type[BaseHTTPRequestHandler]:
    """A Prometheus API answering every query with the same per-team values at every instant:
    team-i grew by 20 + i in every counter (so volume orders them), buckets spread evenly."""
    names = {f"team-{i}": 20.0 + i for i in range(1, teams + 1)}

    def series(query: str) -> list[tuple[dict[str, str], float]]:
        if query.startswith("count("):  # coverage: data all the time
            return [({}, 1.0)]
        if "by (team, le)" in query:
            return [
                ({"team": t, "le": le}, v * (i + 1) / len(EDGES))
                for t, v in names.items()
                for i, le in enumerate(EDGES)
            ]
        label = "from_team" if "by (from_team)" in query else "team"
        return [({label: t}, v) for t, v in names.items()]

    class StandIn(BaseHTTPRequestHandler):
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

    return StandIn


def mailed_report(teams: int, tmp: Path) -> tuple[bytes, bytes]:
    """The mail ``servicepulse report --pdf --mail-to`` sends for ``teams`` teams, as received
    over SMTP, and the PDF it wrote."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[bytes] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message.as_bytes())

    server = ThreadingHTTPServer(("127.0.0.1", 0), stand_in(teams))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    smtp = Controller(Keep(), hostname="127.0.0.1", port=port)
    smtp.start()
    out = tmp / f"report-{teams}.html"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "streams.cli", "report", "--prometheus",
             f"http://127.0.0.1:{server.server_address[1]}", "--week", "2026-W46",
             "--out", str(out), "--pdf", "--mail-to", "lead@example.com"],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT), "SERVICEPULSE_SMTP_HOST": "127.0.0.1",
                 "SERVICEPULSE_SMTP_PORT": str(port)},
        )  # fmt: skip
    finally:
        smtp.stop()
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert len(received) == 1, done.stderr
    return received[0], out.with_suffix(".pdf").read_bytes()


SIZES = (5, 80, 300)


@pytest.fixture(scope="module")
def mails(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    out = {}
    for teams in SIZES:
        tmp = tmp_path_factory.mktemp(f"mail-{teams}-teams")
        raw, pdf = mailed_report(teams, tmp)
        out[teams] = {"teams": teams, "raw": raw, "pdf": pdf, "tmp": tmp}
    return out


@pytest.fixture(params=[80, 300], ids=lambda n: f"{n} teams")
def mail(request: pytest.FixtureRequest, mails: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return mails[request.param]


def parts(raw: bytes) -> dict[str, EmailMessage]:
    message = message_from_bytes(raw, policy=email.policy.default)
    return {p.get_content_type(): p for p in message.walk()}  # type: ignore[misc]


def inline_cids(html_text: str, raw: bytes) -> str:
    """``cid:X`` replaced by the data of the part whose Content-ID is ``<X>``, as mail clients
    show a multipart/related HTML part."""
    message = message_from_bytes(raw, policy=email.policy.default)
    by_cid = {
        str(p["Content-ID"]).strip("<>"): p for p in message.walk() if p["Content-ID"] is not None
    }

    def data_uri(match: re.Match[str]) -> str:
        part = by_cid[match.group(1)]
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return f"data:{part.get_content_type()};base64,{base64.b64encode(payload).decode()}"

    return re.sub(r"cid:([^'\"\s)>]+)", data_uri, html_text)


PROBE = """<script>
window.addEventListener('load', () => {
  const images = [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth}));
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(images);
  document.body.appendChild(out);
});
</script>"""


def render(page: Path, netlog: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Chromium headless on ``page`` (file://) with the network cut off: (the images as the page
    has them after loading, the URLs the page asked for)."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         # no network: every request goes to a proxy on a port nothing listens on
         f"--proxy-server=http://127.0.0.1:{free_port()}", "--proxy-bypass-list=<-loopback>",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         f"--log-net-log={netlog}", "--virtual-time-budget=5000", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    probe = re.search(r"<pre id=\"probe\">(.*?)</pre>", done.stdout, re.S)
    assert probe is not None, done.stdout[-2000:]
    images = json.loads(probe.group(1).replace("&quot;", '"'))
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    # the page's own requests: those whose top frame is the file (Chromium's own traffic to
    # its update and account services has another network isolation key)
    asked = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start
        and str(e["params"].get("network_isolation_key", "")).startswith("file://")
    ]
    return images, asked


def test_the_rendered_mail_asks_for_nothing_and_its_charts_resolve(mail: dict[str, Any]) -> None:
    html_part = parts(mail["raw"])["text/html"].get_content()
    assert "<script" not in html_part.lower()  # the probe below is the test's, not the mail's
    assert "cid:" in html_part
    page = mail["tmp"] / "inlined.html"
    page.write_text(inline_cids(html_part, mail["raw"]).replace("</body>", PROBE + "</body>"))
    images, asked = render(page, mail["tmp"] / "net.json")
    assert asked == [], f"the mail's HTML asked the network for {asked}"
    assert images, "no chart in the mail"
    assert all(i["complete"] and i["width"] > 0 for i in images), images


def test_a_cid_left_unresolved_shows_as_a_broken_image(mail: dict[str, Any]) -> None:
    """The other side of the test above: without the related parts the chart does not load
    (the check of ``width > 0`` can fail), and still nothing is fetched."""
    html_part = parts(mail["raw"])["text/html"].get_content()
    page = mail["tmp"] / "not-inlined.html"
    page.write_text(html_part.replace("</body>", PROBE + "</body>"))
    images, asked = render(page, mail["tmp"] / "net-raw.json")
    assert asked == ["cid:trend@servicepulse"]  # a scheme the browser cannot fetch: no network
    assert images and not any(i["width"] > 0 for i in images)


def test_the_mail_stays_under_300_kb_and_the_page_does_not_grow_with_the_teams(
    mails: dict[int, dict[str, Any]],
) -> None:
    pages = {}
    for teams, mail in mails.items():
        assert len(mail["raw"]) < MAX_MAIL, f"{teams} teams: {len(mail['raw']) / 1024:.0f} KB"
        pages[teams] = len(re.findall(rb"/Type\s*/Page\b", mail["pdf"]))
        html_part = parts(mail["raw"])["text/html"].get_content()
        table = html_part[html_part.index('data-table="teams"') :]
        rows = re.findall(r"<tr><th class='t'>([^<]+)</th>", table)[1:]
        if teams <= 15:
            assert len(rows) == teams and not any(r.startswith("all others") for r in rows)
            continue
        # the 15 busiest teams (team-N has 20 + N contacts), then one row for the rest
        assert rows[0] == f"team-{teams}" and len(rows) == 16
        assert rows[-1] == f"all others ({teams - 15} teams)"
        # the teams folded are named up to 40, then counted: 285 - 40 = 245 more at 300
        if teams - 15 > 40:
            assert f"and {teams - 15 - 40} more." in html_part
    # as many printed pages at 300 teams as at 80: the table and the notes under it are bounded
    assert pages[80] == pages[300], pages
    assert pages[5] <= pages[80], pages
