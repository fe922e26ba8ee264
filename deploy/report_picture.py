#!/usr/bin/env python3
"""The weekly report's picture (docs/history/report.png) from a backfilled simulated month.

    .venv/bin/python deploy/report_picture.py [--week 2026-W46] [--weeks 4] [--out docs/history]

Simulates ``--weeks`` ISO weeks of the contact centre up to ``--week`` (seed 11, 60 contacts
an hour at the peak, the built-in SLA policy; in the last week the technical team stops
answering on Wednesday from 09:00 to 15:00 UTC, the "outage" scenario), backfills them with
``servicepulse backfill --step 1h --no-rules`` into a fresh Prometheus on a free port,
runs ``servicepulse report --week WEEK --pdf`` against it, and takes a full-page
screenshot of the HTML with headless chromium. Writes OUT/report-<week>.html,
OUT/report.png and, with ``--pdf``, OUT/report-<week>.pdf. Needs promtool, prometheus
and chromium on PATH; about two minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import orjson

from streams.report.figures import WEEK, parse_week
from streams.simulator import ContactCentre, SimConfig

REPO = Path(__file__).resolve().parents[1]
WIDTH = 1280


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(binary: str) -> str:
    found = shutil.which(binary)
    if not found:
        raise SystemExit(f"report_picture: needs {binary} on PATH")
    return found


def simulate(path: Path, start: float, weeks: int) -> None:
    """``weeks`` weeks from ``start`` (a Monday) into ``path``, an outage in the last one."""
    wednesday = (weeks - 1) * WEEK + 2 * 86400
    config = SimConfig(
        seed=11,
        arrivals_per_hour=60.0,
        scenario="outage",
        outage_team="technical",
        outage_start=wednesday + 9 * 3600,  # Wednesday 09:00 to 15:00 UTC
        outage_end=wednesday + 15 * 3600,
    )
    with open(path, "wb") as out:
        for event in ContactCentre(config, start).events(until=start + weeks * WEEK - 1):
            out.write(orjson.dumps(event) + b"\n")


def serve(data: Path, work: Path, at: float) -> tuple[subprocess.Popen[bytes], str]:
    """A Prometheus on ``data``, once it answers for the instant ``at``."""
    (work / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    log = open(work / "prometheus.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            need("prometheus"),
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=10y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    query = urllib.parse.urlencode(
        {"query": "count(servicepulse_tickets_created_total)", "time": str(at)}
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as r:
                if json.load(r)["data"]["result"]:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"report_picture: Prometheus never served the blocks (see {log.name})")


def screenshot(html: Path, png: Path) -> None:
    """Full page: a tall window, then the blank bottom cropped off."""
    from PIL import Image, ImageChops

    subprocess.run(
        [need("chromium"), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--window-size={WIDTH},4000",
         "--virtual-time-budget=10000", f"--screenshot={png}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    blank = Image.new("RGB", rgb.size, (255, 255, 255))
    box = ImageChops.difference(rgb, blank).getbbox()
    if box is not None:
        rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + 24)))
    rgb.save(png, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--week", default="2026-W46", help="the week reported (2026-W46)")
    parser.add_argument("--weeks", type=int, default=4, help="simulated weeks up to it (4)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "history")
    parser.add_argument("--pdf", action="store_true", help="keep the PDF in OUT too")
    args = parser.parse_args()
    need("promtool")
    cli = [sys.executable, "-m", "streams.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        history = work / "history.jsonl"
        week, monday = parse_week(args.week)
        start = monday - (args.weeks - 1) * WEEK
        simulate(history, start, args.weeks)
        print(f"report_picture: {args.weeks} weeks simulated, report of {week}", file=sys.stderr)
        subprocess.run(
            [*cli, "backfill", str(history), "--out", str(work / "data"), "--step", "1h",
             "--no-rules"],
            check=True,
        )  # fmt: skip
        proc, url = serve(work / "data", work, monday + WEEK)
        try:
            html = work / f"report-{week}.html"
            subprocess.run(
                [*cli, "report", "--prometheus", url, "--week", week, "--out", str(html), "--pdf"],
                check=True,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(html, args.out / html.name)
        pdf = html.with_suffix(".pdf")
        if args.pdf and pdf.exists():
            shutil.copy(pdf, args.out / pdf.name)
        screenshot(html, args.out / "report.png")
    print(f"report_picture: wrote {args.out / html.name} and {args.out / 'report.png'}")


if __name__ == "__main__":
    main()
