"""What the outcomes ledger costs: replay's events/s with and without it, in the same run.

    .venv/bin/python bench/ledger.py [--days 7] [--arrivals 120] [--repeat 3] [--no-postgres]

Simulates ``--days`` of history (the demo's contact centre, seed 7) to a JSONL file, then
replays it in this process, ``--repeat`` times each, alternating:
- without a ledger (the baseline);
- with the SQLite ledger (a file in a temporary directory, as ``replay --ledger PATH``);
- with a PostgreSQL ledger, when Debian's postgresql is installed: a throwaway server
  started by deploy/postgres/postgres.sh on a free loopback port (fsync on), stopped after.
Each ledger run starts from an empty database. Prints the best events/s of each by wall
time and by this process's CPU time (what a busy machine's neighbours do not distort; the
PostgreSQL server's own CPU is not in it), the ratio to the baseline, the rows written, and
the size of 100k outcomes (SQLite: the outcomes table's pages by dbstat, and the whole file
per 100k outcomes with its stints, surveys and reviews; PostgreSQL: pg_total_relation_size
of the table, indexes included).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from streams.core.policy import load_policies
from streams.ledger.sink import Ledger
from streams.ledger.store import open_store
from streams.replay import replay
from streams.simulator import ContactCentre, SimConfig

START = 1_793_577_600.0  # 2026-11-02 00:00 UTC, a Monday
SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "postgres.sh"


def write_history(path: Path, days: float, arrivals: float) -> int:
    n = 0
    with open(path, "wb") as out:
        config = SimConfig(seed=7, arrivals_per_hour=arrivals)
        for event in ContactCentre(config, START).events(until=START + days * 86400):
            out.write(orjson.dumps(event) + b"\n")
            n += 1
    return n


def timed_replay(path: Path, target: str | None) -> tuple[float, float, int]:
    """Wall and CPU seconds of one replay (ledger closed included), the rows written."""
    policies = load_policies(None)
    ledger = None if target is None else Ledger(open_store(target))
    started, cpu = time.perf_counter(), time.process_time()
    replay(path, policies, ledger=ledger)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu, 0 if ledger is None else ledger.written


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Postgres:
    """A throwaway server (deploy/postgres/postgres.sh) and a fresh database per run."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="servicepulse-bench-pg-"))
        self.env = {**os.environ, "PG_STATE_DIR": str(self.state), "PG_PORT": str(free_port())}
        done = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1])
        self.url = done.stdout.strip()
        self.runs = 0

    def fresh(self) -> str:
        import psycopg

        self.runs += 1
        name = f"bench_{self.runs}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def outcome_bytes(self, url: str) -> tuple[int, int]:
        import psycopg

        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT pg_total_relation_size('ledger_outcomes'), "
                "(SELECT count(*) FROM ledger_outcomes)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=self.env, capture_output=True)
        shutil.rmtree(self.state, ignore_errors=True)


def sqlite_sizes(path: Path) -> tuple[int | None, int, int]:
    """(outcomes table + its indexes in bytes, or None without dbstat; file bytes; outcomes)."""
    connection = sqlite3.connect(path)
    outcomes = connection.execute("SELECT count(*) FROM ledger_outcomes").fetchone()[0]
    try:
        table = connection.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'ledger_outcomes%' "
            "OR name LIKE 'sqlite_autoindex_ledger_outcomes%'"
        ).fetchone()[0]
    except sqlite3.OperationalError:
        table = None
    connection.close()
    return table, path.stat().st_size, outcomes


def per_100k(size: int, rows: int) -> str:
    return f"{size / rows * 100_000 / 1e6:.1f} MB" if rows else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--arrivals", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="servicepulse-bench-ledger-"))
    history = tmp / "history.jsonl"
    events = write_history(history, args.days, args.arrivals)
    print(f"{events:,} events, {args.days:g} days at {args.arrivals:g} contacts/h peak")
    postgres = None
    if not args.no_postgres:
        try:
            postgres = Postgres()
        except (RuntimeError, OSError) as exc:
            print(f"PostgreSQL skipped: {exc}")
    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    rows: dict[str, int] = {}
    sizes: dict[str, str] = {}
    try:
        for round_ in range(args.repeat):
            targets: list[tuple[str, str | None]] = [("none", None)]
            sqlite_path = tmp / f"ledger-{round_}.sqlite3"
            targets.append(("sqlite", str(sqlite_path)))
            if postgres is not None:
                targets.append(("postgresql", postgres.fresh()))
            for name, target in targets:
                seconds, cpu, written = timed_replay(history, target)
                best[name] = min(best.get(name, float("inf")), seconds)
                best_cpu[name] = min(best_cpu.get(name, float("inf")), cpu)
                rows[name] = written
                if name == "sqlite":
                    table, file_size, outcomes = sqlite_sizes(sqlite_path)
                    sizes["sqlite"] = (
                        f"outcomes table {per_100k(table, outcomes) if table else 'n/a'}, "
                        f"whole file {per_100k(file_size, outcomes)} per 100k outcomes"
                    )
                    sqlite_path.unlink()
                elif name == "postgresql" and target is not None:
                    size, outcomes = postgres.outcome_bytes(target)  # type: ignore[union-attr]
                    sizes["postgresql"] = f"outcomes table {per_100k(size, outcomes)} per 100k"
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    base, base_cpu = events / best["none"], events / best_cpu["none"]
    print(f"{'ledger':<12}{'events/s':>10}{'ratio':>7}{'per CPU s':>11}{'ratio':>7}{'rows':>9}")
    for name, seconds in best.items():
        rate, cpu_rate = events / seconds, events / best_cpu[name]
        print(
            f"{name:<12}{rate:>10,.0f}{rate / base:>7.2f}{cpu_rate:>11,.0f}"
            f"{cpu_rate / base_cpu:>7.2f}{rows[name]:>9,}"
        )
    for name, size in sizes.items():
        print(f"size, {name}: {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
