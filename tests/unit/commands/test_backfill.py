"""backfill's errors are one line: no promtool, bad step, unreadable file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "backfill", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_without_promtool_backfill_says_so_in_one_line(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    history.write_text("")
    env = {**os.environ, "PATH": str(tmp_path)}  # no promtool there
    result = run([str(history), "--out", str(tmp_path / "blocks")], env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "promtool not found" in result.stderr


def test_a_step_of_no_whole_seconds_is_refused(tmp_path: Path) -> None:
    result = run(["h.jsonl", "--out", str(tmp_path), "--step", "1.5s"])
    assert result.returncode == 2 and "step" in result.stderr


def test_a_missing_history_file_is_one_line(tmp_path: Path) -> None:
    result = run([str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "b"), "--no-rules"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot read" in result.stderr
