"""The built package carries its own rules: ``servicepulse backfill`` from an installed wheel,
run outside any checkout, records the recording rules' series (the Docker image copies only
streams/ and dashboards/, so the rules must come from the package, not from deploy/).

The wheel is built from a copy of what the Dockerfile copies (pyproject.toml, README.md,
streams/, dashboards/), installed with ``--no-deps`` into a fresh venv whose only other path
is the running interpreter's site-packages (the dependencies; a plain ``.pth`` line, so the
checkout's editable install is not loaded), and run from a directory outside the repository
with no PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None or shutil.which("prometheus") is None,
    reason="needs prometheus and promtool on PATH",
)

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "streams", "dashboards")  # the Dockerfile's COPY


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("servicepulse-*.whl")
    return wheel


def install(wheel: Path, tmp: Path) -> Path:
    """A fresh venv with the wheel alone, the dependencies from this interpreter's site."""
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    return env_dir


def event(ticket: str, kind: str, when: str, **fields: str) -> bytes:
    body = {"event_id": f"{ticket}:{kind}", "type": kind, "ticket_id": ticket, "ts": when}
    return orjson.dumps({**body, **fields}) + b"\n"


def created(ticket: str, when: str, team: str) -> bytes:
    fields = {"team": team, "channel": "email", "priority": "normal", "customer_id": ticket}
    return event(ticket, "ticket.created", when, **fields)


def dump(blocks: Path, name: str) -> dict[tuple[str, int], float]:
    """(team, timestamp in ms) -> value of every sample of ``name`` in the blocks."""
    (blocks / "wal").mkdir(exist_ok=True)  # promtool tsdb dump opens the directory as a DB
    text = subprocess.run(
        ["promtool", "tsdb", "dump", f'--match={{__name__="{name}"}}', str(blocks)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    samples = {}
    for line in text.splitlines():
        labels, value, stamp = line.rsplit(" ", 2)
        team = labels.split('team="', 1)[1].split('"', 1)[0] if 'team="' in labels else ""
        samples[(team, int(stamp))] = float(value)
    return samples


def test_backfill_from_the_installed_wheel_records_the_rules_it_ships(tmp_path: Path) -> None:
    env_dir = install(build_wheel(tmp_path), tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    where = subprocess.run(
        [env_dir / "bin" / "python", "-c", "import streams; print(streams.__file__)"],
        cwd=outside, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(env_dir)), f"streams came from {where}, not the wheel"

    # billing: b1, b2, b3 created 09:00-09:20, b1 answered 09:40 and resolved 10:00;
    # sales: s1 created 09:30, answered 11:00. At the 11:00 sample: billing 3 - 1 = 2 open,
    # sales 1 open.
    history = outside / "history.jsonl"
    history.write_bytes(
        created("b1", "2026-11-23T09:00:00Z", "billing")
        + created("b2", "2026-11-23T09:10:00Z", "billing")
        + created("b3", "2026-11-23T09:20:00Z", "billing")
        + created("s1", "2026-11-23T09:30:00Z", "sales")
        + event("b1", "message.agent", "2026-11-23T09:40:00Z", agent_id="a1")
        + event("b1", "ticket.resolved", "2026-11-23T10:00:00Z", agent_id="a1")
        + event("s1", "message.agent", "2026-11-23T11:00:00Z", agent_id="a2")
    )
    result = subprocess.run(
        ["servicepulse", "backfill", "history.jsonl", "--out", "blocks", "--step", "1h"],
        cwd=outside, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no recording rules" not in result.stderr

    blocks = outside / "blocks"
    eleven = int(datetime(2026, 11, 23, 11, tzinfo=UTC).timestamp() * 1000)
    open_tickets = dump(blocks, "team:servicepulse_open_tickets:sum")  # recording.yml
    assert open_tickets[("billing", eleven)] == 2
    assert open_tickets[("sales", eleven)] == 1
    # the error budgets' groups of the alerts.yml shipped beside it. Backfill zero-primes a
    # counter one step before its first value, as a live exporter does: b1's first response
    # (met, 09:40) is 0 at 09:00 and 1 at 10:00 and 11:00 (increase 1 at 10:00, 0 at 11:00);
    # s1's (11:00) is 0 at 10:00 and 1 at 11:00 (increase 1 at 11:00)
    ten = eleven - 3_600_000
    outcomes = dump(blocks, "team_target:servicepulse_slo_outcomes:increase1h")
    assert outcomes == {("billing", ten): 1.0, ("billing", eleven): 0.0, ("sales", eleven): 1.0}
