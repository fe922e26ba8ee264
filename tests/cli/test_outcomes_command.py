"""``servicepulse outcomes`` as a user runs it (a real subprocess): rows, filters, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streams.ledger.store import open_store
from tests.unit.ledger.rows import ALL


def servicepulse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    store = open_store(str(tmp_path / "ledger.sqlite3"))
    store.write(ALL)
    store.close()
    return tmp_path


def test_breached_outcomes_of_the_data_directory_as_csv(data_dir: Path) -> None:
    done = servicepulse("outcomes", "--data-dir", str(data_dir), "--outcome", "breached")
    assert done.returncode == 0, done.stderr
    assert [line.split(",")[0] for line in done.stdout.splitlines()] == ["ticket_id", "t2", "t3"]


def test_json_with_a_link_to_each_ticket(data_dir: Path) -> None:
    done = servicepulse(
        "outcomes", "--ledger", str(data_dir / "ledger.sqlite3"), "--team", "technical",
        "--format", "json", "--ticket-url", "https://help.example.com/t/{ticket_id}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["ticket_id"], r["late"], r["url"]) for r in rows] == [
        ("t3", 0, "https://help.example.com/t/t3")
    ]


def test_surveys_of_an_agent(data_dir: Path) -> None:
    done = servicepulse(
        "outcomes", "--data-dir", str(data_dir), "--kind", "survey", "--agent", "ana"
    )
    assert done.stdout.splitlines() == [
        "event_id,ticket_id,ts,team,agent,channel,kind,score",
        "s1,t1,2026-11-23T11:00:00Z,billing,ana,email,csat,2",
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--outcome", "late"], "servicepulse: error: outcome 'late' is not one of met, breached"),
        (["--from", "yesterday"], "servicepulse: error: from 'yesterday' is not a date"),
        (["--ticket-url", "https://x/"], "servicepulse: error: the ticket URL template must"),
    ],
)
def test_a_bad_filter_is_one_line(data_dir: Path, args: list[str], error: str) -> None:
    done = servicepulse("outcomes", "--data-dir", str(data_dir), *args)
    assert done.returncode == 2
    assert done.stderr.startswith(error) and done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_a_missing_store_is_one_line(tmp_path: Path) -> None:
    done = servicepulse("outcomes", "--data-dir", str(tmp_path / "none"))
    assert done.returncode == 2
    assert done.stderr == f"servicepulse: error: no ledger at {tmp_path}/none/ledger.sqlite3\n"


def test_an_unreachable_postgres_is_one_line_without_its_password() -> None:
    done = servicepulse("outcomes", "--ledger", "postgresql://sp:s3cret@127.0.0.1:1/sp")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "servicepulse: error: cannot use the ledger postgresql://sp:***@127.0.0.1:1/sp: "
    )
    assert "s3cret" not in done.stderr and done.stderr.count("\n") == 1
