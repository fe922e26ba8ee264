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

With ``--dataset bank`` or ``--dataset servicenow`` the pictures come from a real data set of
../shared/datasets instead (the 6-queue bank call centre of August 1999, the 79-group
ServiceNow desk of 2016), converted by tests/datasets.py: the boards and rules generated for
its own policy (``generate --policy``), the events up to the data set's chosen end backfilled
with ``servicepulse backfill`` (rules included), Prometheus started on the blocks (scraping
nothing), and the three boards taken at times of the data set's own (DATASETS below):

    python3 deploy/grafana/screenshots.py --dataset bank [--keep-blocks DIR | --blocks DIR]
"""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from streams.monitoring.prometheus import (  # noqa: E402
    demo_config,
    fast_rule_files,
    prometheus_config,
)
from tests import datasets  # noqa: E402
from tests.processes import free_port, stop  # noqa: E402

# window heights that show every row of each board (the boards grow with their rows)
HEIGHTS = {"live-operations": 2600, "team-lead-sla": 3600, "executive-weekly": 3000}

# the executive team table's 16 columns, each as wide as its header, need ~1,850 px: narrower,
# it scrolls sideways and a picture would cut its last columns
WIDTHS = {"executive-weekly": 1920}

BOARDS = {
    "live-operations": "servicepulse-live-operations",
    "team-lead-sla": "servicepulse-team-sla",
    "executive-weekly": "servicepulse-executive-weekly",
}


@dataclass(frozen=True)
class History:
    """What a picture needs backfilled: the data set's events before ``until``."""

    until: str  # ISO 8601
    step: str  # backfill --step: the rules over 5 minutes need two samples in the window
    rules: bool  # the executive board reads no recording rule: raw series are enough for it

    @property
    def name(self) -> str:
        """The blocks' directory under --blocks / --keep-blocks."""
        return f"until-{self.until[:10]}-{self.step}{'-rules' if self.rules else ''}"


@dataclass(frozen=True)
class Shot:
    """One picture of a data set: a board over an absolute range (ISO 8601, UTC)."""

    board: str  # a key of BOARDS
    start: str
    end: str
    history: History


@dataclass(frozen=True)
class Dataset:
    """A real data set and the pictures taken of it."""

    name: str  # the pictures are docs/dashboards/<name>-<board>.png
    events: Callable[[], list[bytes]]
    policy: str  # YAML
    shots: tuple[Shot, ...]


# 6 queues, a 20 s first response. The live and team lead boards on Thursday 12 August, 12:00
# local time (+03:00), the morning peak (about 15 minutes of backfill with the rules on 2 busy
# cores). The executive board reads W32 against W31 (August 1999 starts on a Sunday) from raw
# hourly samples; a week counts once there is a sample at its end, so the history runs into
# the Monday after it.
BANK_DAYS = History("1999-08-16T00:00:00Z", "60s", rules=True)
BANK_WEEKS = History("1999-08-16T12:00:00Z", "1h", rules=False)
# 79 assignment groups, 1 h first response and 1 d resolution round the clock. The log starts
# on Monday 29 February 2016 (2016-W09): the executive board reads W10 against W09 from raw
# hourly samples (into the Monday after, as above); the rules of 79 teams take about 4 minutes
# a day of history on 2 busy cores, so the live and team lead boards are taken on the log's
# third day, Wednesday 2 March, 14:00 UTC.
SERVICENOW_WEEKS = History("2016-03-14T12:00:00Z", "1h", rules=False)
SERVICENOW_DAYS = History("2016-03-03T00:00:00Z", "2m", rules=True)

DATASETS = {
    "bank": Dataset(
        "bank",
        lambda: datasets.bank_events(datasets.BANK_CALLS),
        datasets.BANK_POLICY,
        (
            Shot("live-operations", "1999-08-12T03:00:00Z", "1999-08-12T09:00:00Z", BANK_DAYS),
            Shot("team-lead-sla", "1999-08-11T09:00:00Z", "1999-08-12T09:00:00Z", BANK_DAYS),
            Shot(
                "executive-weekly", "1999-08-09T00:00:00Z", "1999-08-15T23:59:59.999Z", BANK_WEEKS
            ),
        ),
    ),
    "servicenow": Dataset(
        "servicenow",
        lambda: datasets.servicenow_events(datasets.SERVICENOW / "incident_event_log.csv")[0],
        yaml.safe_dump(
            {
                **datasets.SERVICENOW_POLICY,
                "objectives": {"first_response": "95%", "resolution": "90%"},
            }
        ),
        (
            Shot(
                "live-operations", "2016-03-02T02:00:00Z", "2016-03-02T14:00:00Z", SERVICENOW_DAYS
            ),
            Shot("team-lead-sla", "2016-03-01T14:00:00Z", "2016-03-02T14:00:00Z", SERVICENOW_DAYS),
            Shot(
                "executive-weekly",
                "2016-03-07T00:00:00Z",
                "2016-03-13T23:59:59.999Z",
                SERVICENOW_WEEKS,
            ),
        ),
    ),
}


def board_height(board: Path) -> int:
    """A window height that shows every row of ``board`` (JSON): Grafana's grid is 30 px a
    unit plus an 8 px margin; kiosk mode adds little above the first row."""
    panels = json.loads(board.read_text())["panels"]
    return max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) * 38 + 60


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


def grafana_env(
    tmp: Path, port: int, prometheus: str, alertmanager: str, boards: Path
) -> dict[str, str]:
    """A Grafana on ``port`` provisioned from deploy/grafana/provisioning, anonymous viewers."""
    return {
        **os.environ,
        "GF_PATHS_DATA": str(tmp / "grafana"),
        "GF_PATHS_LOGS": str(tmp / "grafana-logs"),
        "GF_PATHS_PLUGINS": str(tmp / "grafana-plugins"),
        "GF_PATHS_PROVISIONING": str(ROOT / "deploy" / "grafana" / "provisioning"),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(port),
        "GF_AUTH_ANONYMOUS_ENABLED": "true",
        "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_NEWS_NEWS_FEED_ENABLED": "false",
        "SERVICEPULSE_PROMETHEUS_URL": prometheus,
        "SERVICEPULSE_ALERTMANAGER_URL": alertmanager,
        "SERVICEPULSE_DASHBOARDS_DIR": str(boards),
    }


def screenshot(chromium: str, url: str, png: Path, width: int, height: int) -> None:
    """One picture of ``url`` by headless Chromium with a fresh profile, shrunk by pngquant."""
    with tempfile.TemporaryDirectory(prefix="sp-chromium-") as profile:
        subprocess.run(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "--virtual-time-budget=30000", f"--screenshot={png}", url],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300,
        )  # fmt: skip
    if shutil.which("pngquant"):  # a palette of 256 colours: a third of the size, same look
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--output", str(png), str(png)],
            check=False,
        )
    print(f"wrote {png} ({url})")


def epoch_ms(instant: str) -> int:
    return round(datetime.fromisoformat(instant).timestamp() * 1000)


def events_until(lines: list[bytes], until: str) -> list[bytes]:
    """The events stamped before ``until`` (in time order already: a prefix of the file)."""
    end = datetime.fromisoformat(until)
    return [line for line in lines if datetime.fromisoformat(orjson.loads(line)["ts"]) < end]


def cli(*args: str) -> None:
    """``servicepulse ARGS`` from this checkout; its error output on failure."""
    command = [sys.executable, "-m", "streams.cli", *args]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"screenshots: {' '.join(args[:1])} failed:\n{done.stderr}")


def generated_for(policy: Path, root: Path) -> Path:
    """``generate --policy`` into a scratch checkout: its rules and boards (returns ``root``)."""
    for marker in ("deploy/prometheus", "docs", "dashboards/json"):
        (root / marker).mkdir(parents=True, exist_ok=True)
    # generate splices its tables into these documents: copies, the checkout's stay untouched
    for doc in ("docs/runbooks.md", "docs/dashboards.md", "deploy/prometheus/README.md"):
        shutil.copyfile(ROOT / doc, root / doc)
    cli("generate", "--root", str(root), "--policy", str(policy))
    return root


def history_up(blocks: Path, step: str, out: Path) -> None:
    """``up{job="servicepulse-history"} 1`` at every backfill step of the blocks' span.

    The live and team lead boards show a figure only while a ServicePulse target is up
    (queries.live, queries.or_zero): a backfill is sampled like a scrape at every step but
    writes no ``up``, so without this series every gated panel reads "target down" over the
    whole history. It says what a Prometheus scraping the replay at that step would have
    recorded, and nothing more: it ends where the history ends.
    """
    metas = [json.loads(m.read_text()) for m in blocks.glob("*/meta.json")]
    first, last = min(m["minTime"] for m in metas), max(m["maxTime"] for m in metas)
    every = int(step[:-1]) * {"s": 1, "m": 60, "h": 3600}[step[-1]]
    lines = ["# TYPE up gauge"]
    lines += [
        f'up{{job="servicepulse-history",instance="backfill"}} 1 {t}'
        for t in range(first // 1000, last // 1000, every)
    ]
    om = out.parent / "up.om"
    om.write_text("\n".join([*lines, "# EOF", ""]))
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics",
                    "--max-block-duration=18h", str(om), str(out)],
                   check=True, capture_output=True)  # fmt: skip


@contextlib.contextmanager
def running(commands: Sequence[Sequence[str]], env: dict[str, str], log: Path) -> Iterator[None]:
    """The processes of ``commands``, stopped again (terminate, then kill after 15 s)."""
    procs: list[subprocess.Popen[bytes]] = []
    with open(log, "wb") as sink:
        try:
            for cmd in commands:
                procs.append(
                    subprocess.Popen(cmd, cwd=log.parent, env=env, stdout=sink, stderr=sink)
                )
            yield
        finally:
            stop(procs, timeout=15)


def busiest_team(lines: list[bytes]) -> str:
    """The team with the most tickets created: the team lead board's team."""
    counts: dict[str, int] = {}
    for line in lines:
        event = orjson.loads(line)
        if event["type"] == "ticket.created":
            counts[event["team"]] = counts.get(event["team"], 0) + 1
    return max(counts, key=lambda team: counts[team])


def dataset_pictures(args: argparse.Namespace, chromium: str, grafana: tuple[Path, Path]) -> None:
    """The boards of a real data set (see the module docstring), one backfill per History."""
    dataset = DATASETS[args.dataset]
    shots = [shot for shot in dataset.shots if shot.board in args.boards.split(",")]
    all_events = dataset.events()
    with tempfile.TemporaryDirectory(prefix="sp-shots-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "policy.yml").write_text(dataset.policy)
        gen = generated_for(tmp / "policy.yml", tmp / "generated")
        for history in dict.fromkeys(shot.history for shot in shots):
            lines = events_until(all_events, history.until)
            data = tmp / history.name
            if args.blocks:
                shutil.copytree(Path(args.blocks) / history.name, data)
            else:
                backfill(lines, history, gen, data)
                if args.keep_blocks:
                    shutil.copytree(data, Path(args.keep_blocks) / history.name)
            mine = [shot for shot in shots if shot.history == history]
            take(args, chromium, grafana, gen, data, mine, dataset.name, busiest_team(lines))


def backfill(lines: list[bytes], history: History, gen: Path, data: Path) -> None:
    """``servicepulse backfill`` of ``lines`` into ``data``, with the generated rules."""
    file = data.parent / f"{history.name}.jsonl"
    file.write_bytes(b"".join(line + b"\n" for line in lines))
    policy = data.parent / "policy.yml"
    print(f"backfilling {len(lines):,} events ({history.name}) ...", file=sys.stderr)
    rules = gen / "deploy" / "prometheus" / "rules" / "recording.yml"
    with_rules = ["--rules", str(rules)] if history.rules else ["--no-rules"]
    cli("backfill", str(file), "--policy", str(policy), "--out", str(data),
        "--step", history.step, *with_rules)  # fmt: skip
    history_up(data, history.step, data)


def take(
    args: argparse.Namespace,
    chromium: str,
    grafana: tuple[Path, Path],
    gen: Path,
    data: Path,
    shots: list[Shot],
    name: str,
    team: str,
) -> None:
    """Prometheus on ``data`` with the generated rules, Grafana with the generated boards,
    and a picture of each shot (the team lead board of ``team``, the live board of all)."""
    tmp = data.parent
    rules = gen / "deploy" / "prometheus" / "rules"
    prom_port, g_port = free_port(), free_port()
    # the generated rules, scraping nothing: the history's blocks are all there is
    config = prometheus_config([], [str(rules / "recording.yml"), str(rules / "alerts.yml")])
    (tmp / "prometheus.yml").write_text(json.dumps(config))
    prometheus = f"http://127.0.0.1:{prom_port}"
    boards = gen / "dashboards" / "json"
    # no Alertmanager: the history's alerts are not replayed (Prometheus evaluates the alert
    # rules at its own wall-clock time only)
    env = grafana_env(
        tmp / f"grafana-{data.name}", g_port, prometheus, "http://127.0.0.1:9", boards
    )
    grafana_bin, grafana_home = grafana
    commands = [
        ["prometheus", f"--config.file={tmp / 'prometheus.yml'}",
         f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{prom_port}",
         "--storage.tsdb.retention.time=100y"],
        [str(grafana_bin), "server", "--homepath", str(grafana_home)],
    ]  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with running(commands, env, tmp / f"processes-{data.name}.log"):
        wait_for(f"{prometheus}/-/ready", 300)
        url = f"http://127.0.0.1:{g_port}"
        wait_for(f"{url}/api/health", 120)
        for shot in shots:
            times = f"&from={epoch_ms(shot.start)}&to={epoch_ms(shot.end)}"
            page = f"{url}/d/{BOARDS[shot.board]}?orgId=1&kiosk{times}"
            if shot.board == "team-lead-sla":
                page += f"&var-team={team}"
            height = board_height(boards / f"{shot.board}.json")
            width = max(args.width, WIDTHS.get(shot.board, 0))
            screenshot(chromium, page, out / f"{name}-{shot.board}.png", width, height)
        hold(args, f"Grafana {url}, Prometheus {prometheus}")


def hold(args: argparse.Namespace, what: str) -> None:
    """With --hold: keep everything running until SIGTERM."""
    if args.hold:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"holding: {what}; stop with SIGTERM")
        while True:
            time.sleep(3600)


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
        "--dataset",
        choices=sorted(DATASETS),
        help="the three boards of a real data set of ../shared/datasets, backfilled",
    )
    ap.add_argument(
        "--boards",
        default=",".join(BOARDS),
        help="with --dataset: the boards to take, comma-separated (default: all three)",
    )
    ap.add_argument(
        "--blocks",
        metavar="DIR",
        help="with --history or --dataset: blocks an earlier run wrote (copied from DIR) "
        "instead of a new backfill; with --history the demo then starts at their end",
    )
    ap.add_argument(
        "--keep-blocks", metavar="DIR", help="with --history or --dataset: a copy of the blocks"
    )
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
    if args.dataset:
        dataset_pictures(args, chromium, grafana_with_frontend())
        return 0
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
    env = grafana_env(
        tmp,
        g_port,
        f"http://127.0.0.1:{prom_port}",
        f"http://127.0.0.1:{am_port}",
        ROOT / "dashboards" / "json",
    )
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
            height = HEIGHTS[name.removesuffix("-calendar")]
            screenshot(chromium, url, out / f"{name}.png", args.width, height)
        hold(args, f"Grafana {grafana}, Prometheus :{prom_port}")
    finally:
        stop(procs, timeout=15)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
