#!/usr/bin/env python3
"""Pictures of the three boards from a simulated run, for docs/dashboards.md.

Starts on loopback ports: Alertmanager, `servicepulse demo` (simulated contact centre),
Prometheus scraping it every second with the project's recording and alert rules, and a
Grafana (built with its frontend: deploy/grafana/build-grafana.sh --frontend) provisioned from
deploy/grafana/provisioning; waits while data accumulates, then has headless Chromium take a
screenshot of the live operations and team lead boards. Everything it started is stopped again.

    python3 deploy/grafana/screenshots.py [--minutes 4] [--out docs/dashboards]

With ``--history 28d`` the demo first writes that much simulated past as TSDB blocks
(``demo --history 28d --backfill-out``, 5-minute samples, raw series: the executive board
reads no recording rule) ending at the current time, Prometheus starts on them (retention
raised to 400d) and scrapes the demo, live at 1x, from there; only the executive board is
taken, for the last 7 days and for the last calendar week (executive-weekly.png,
executive-weekly-calendar.png). ``--keep-blocks DIR`` keeps a copy of the blocks, ``--blocks
DIR`` starts from such a copy (the demo then starts where they end), ``--hold`` keeps
everything running to look at the board:

    python3 deploy/grafana/screenshots.py --history 28d --minutes 3 [--keep-blocks DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from streams.monitoring.prometheus import demo_config, fast_rule_files  # noqa: E402
from tests.processes import free_port  # noqa: E402

# window heights that show every row of each board (the boards grow with their rows)
HEIGHTS = {"live-operations": 2600, "team-lead-sla": 3600, "executive-weekly": 3000}

BOARDS = {
    "live-operations": "servicepulse-live-operations",
    "team-lead-sla": "servicepulse-team-sla",
    "executive-weekly": "servicepulse-executive-weekly",
}


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"screenshots: {url} did not come up")


def blocks_end(directory: Path) -> str:
    """The instant the newest block of ``directory`` ends, ISO 8601 (the demo's --start)."""
    end = max(json.loads(m.read_text())["maxTime"] for m in directory.glob("*/meta.json"))
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(end // 1000))


def grafana_with_frontend() -> tuple[Path, Path]:
    out = subprocess.run(
        [str(ROOT / "deploy" / "grafana" / "build-grafana.sh"), "--frontend"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = dict(re.findall(r"^(GRAFANA_\w+)=(.*)$", out, re.M))
    return Path(found["GRAFANA_BIN"]), Path(found["GRAFANA_HOME"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=4.0, help="run length before the pictures")
    ap.add_argument("--out", default=str(ROOT / "docs" / "dashboards"))
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument(
        "--history",
        metavar="SPAN",
        help="backfill this much simulated past (e.g. 28d) and take the executive board only",
    )
    ap.add_argument(
        "--blocks",
        metavar="DIR",
        help="with --history: blocks an earlier run wrote (copied from DIR) instead of a new "
        "backfill; the demo then starts at their end",
    )
    ap.add_argument("--keep-blocks", metavar="DIR", help="with --history: a copy of the blocks")
    ap.add_argument(
        "--hold",
        action="store_true",
        help="keep everything running after the pictures (Grafana reloads dashboards/json) "
        "until interrupted, to look or take them again",
    )
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("screenshots: needs chromium (apt-get install chromium)")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not (alertmanager and shutil.which("prometheus")):
        raise SystemExit("screenshots: needs prometheus and prometheus-alertmanager")
    grafana_bin, grafana_home = grafana_with_frontend()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    tmp = Path(tempfile.mkdtemp(prefix="sp-shots-"))
    demo_port, prom_port, am_port, g_port = (free_port() for _ in range(4))
    rules = fast_rule_files(tmp)
    (tmp / "prometheus.yml").write_text(json.dumps(demo_config(demo_port, am_port, rules)))
    (tmp / "alertmanager.yml").write_text(
        json.dumps(
            {
                "route": {"receiver": "null", "group_by": ["alertname", "team", "target"]},
                "receivers": [{"name": "null"}],
            }
        )
    )
    env = {
        **os.environ,
        "GF_PATHS_DATA": str(tmp / "grafana"),
        "GF_PATHS_LOGS": str(tmp / "grafana-logs"),
        "GF_PATHS_PLUGINS": str(tmp / "grafana-plugins"),
        "GF_PATHS_PROVISIONING": str(ROOT / "deploy" / "grafana" / "provisioning"),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(g_port),
        "GF_AUTH_ANONYMOUS_ENABLED": "true",
        "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_NEWS_NEWS_FEED_ENABLED": "false",
        "GF_PANELS_ENABLE_ALPHA": "true",  # the Alert groups panel
        "SERVICEPULSE_PROMETHEUS_URL": f"http://127.0.0.1:{prom_port}",
        "SERVICEPULSE_ALERTMANAGER_URL": f"http://127.0.0.1:{am_port}",
        "SERVICEPULSE_DASHBOARDS_DIR": str(ROOT / "dashboards" / "json"),
    }
    log = open(tmp / "processes.log", "wb")  # noqa: SIM115 - closed in finally
    demo = [sys.executable, "-m", "streams.cli", "demo", "--port", str(demo_port), "--host",
            "127.0.0.1", "--scenario", "normal", "--seed", "1", "--no-board"]  # fmt: skip
    retention = []
    # the executive board needs weeks of history: its pictures come from --history runs
    shots = [(name, uid, "") for name, uid in BOARDS.items() if name != "executive-weekly"]
    if args.history:
        if args.blocks:  # an earlier run's blocks: the demo starts where they end
            shutil.copytree(args.blocks, tmp / "blocks")
            demo += ["--start", blocks_end(tmp / "blocks")]
        else:  # raw series only: the executive board reads no recording rule
            demo += ["--wall-clock", "--backfill-out", str(tmp / "blocks")]
            demo += ["--backfill-step", "5m", "--backfill-no-rules"]
        demo += ["--speed", "1", "--history", args.history]
        retention = ["--storage.tsdb.retention.time=400d"]
        uid = BOARDS["executive-weekly"]
        shots = [
            ("executive-weekly", uid, "&from=now-7d&to=now"),
            ("executive-weekly-calendar", uid, "&from=now-1w/w&to=now-1w/w"),
        ]
    else:
        demo += ["--speed", "600"]
    commands = [
        [
            alertmanager,
            f"--config.file={tmp / 'alertmanager.yml'}",
            f"--storage.path={tmp / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
        demo,
        [
            "prometheus",
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'prom'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            *retention,
        ],
        [str(grafana_bin), "server", "--homepath", str(grafana_home)],
    ]  # fmt: skip
    procs = []
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(
                    cmd, cwd=ROOT if "streams.cli" in cmd else tmp, env=env, stdout=log, stderr=log
                )
            )
            if cmd is demo and args.history:
                # the blocks are written before the demo serves /metrics; Prometheus starts on them
                what = "warming up" if args.blocks else f"backfilling {args.history} of history"
                print(f"{what} ...", file=sys.stderr)
                wait_for(f"http://127.0.0.1:{demo_port}/metrics", 3600)
                if args.keep_blocks:
                    shutil.copytree(tmp / "blocks", args.keep_blocks, dirs_exist_ok=True)
                shutil.move(tmp / "blocks", tmp / "prom")
        grafana = f"http://127.0.0.1:{g_port}"
        wait_for(f"{grafana}/api/health", 120)
        print(f"collecting data for {args.minutes:g} min ...", file=sys.stderr)
        time.sleep(args.minutes * 60)
        # the team with the most firing alerts, so that its alert panels have something to show
        q = urllib.parse.urlencode({"query": 'count by (team) (ALERTS{alertstate="firing"})'})
        with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/query?{q}") as r:
            firing = json.loads(r.read())["data"]["result"]
        team = (
            max(firing, key=lambda s: float(s["value"][1]))["metric"]["team"]
            if firing
            else "technical"
        )
        span = f"&from=now-{int(args.minutes) + 1}m&to=now"
        for name, uid, times in shots:
            url = f"{grafana}/d/{uid}?orgId=1&kiosk{times or span}&var-team={team}"
            png = out / f"{name}.png"
            subprocess.run(
                [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--window-size={args.width},{HEIGHTS[name.removesuffix('-calendar')]}",
                 "--virtual-time-budget=30000", f"--screenshot={png}", url],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
            )  # fmt: skip
            print(f"wrote {png} ({url})")
        if args.hold:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            print(f"holding: Grafana {grafana}, Prometheus :{prom_port}; stop with SIGTERM")
            while True:
                time.sleep(3600)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
