"""The chat concurrency form of the forecast, evaluated by the real promtool.

The shipped rules count every team's chats one at a time (Thresholds.chat_concurrency 1), so
tests/promtool/chat_concurrency/forecast_chat_concurrency_test.yml runs against rules
generated here with two chats at once for its teams ``duo`` and ``mixed``; its header has the
hand-worked Erlang C values.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from streams.monitoring.config import CONFIG
from streams.monitoring.render import alerts_yml

ROOT = Path(__file__).resolve().parents[4]
TEST_FILE = ROOT / "tests" / "promtool" / "chat_concurrency" / "forecast_chat_concurrency_test.yml"
TWO_AT_ONCE = {"duo": 2.0, "mixed": 2.0}


@pytest.mark.prometheus
def test_two_chats_at_once_halve_the_agent_time_of_a_chat_in_the_promql_forecast(
    tmp_path: Path,
) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian: prometheus)")
    config = replace(
        CONFIG, thresholds=replace(CONFIG.thresholds, chat_concurrency_by_team=TWO_AT_ONCE)
    )
    (tmp_path / "alerts.yml").write_text(alerts_yml(config))
    shutil.copy(TEST_FILE, tmp_path / TEST_FILE.name)
    result = subprocess.run(
        [promtool, "test", "rules", TEST_FILE.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
