"""Which recording rules a backfill evaluates, in how many passes (history_rules.py): the
rules file, and the error budgets' groups of the alerts.yml beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from streams.errors import UserError
from streams.history.rules import DEFAULT_RULES, split_rules
from streams.monitoring.render import alerts_yml
from streams.monitoring.rules import slo

RECORDING = """\
groups:
  - name: servicepulse.live
    rules:
      - record: team:created:sum
        expr: sum by (team) (servicepulse_tickets_created_total)
      - record: all:created:sum
        expr: sum(team:created:sum)
"""


def passes(rules: Path, work: Path) -> list[list[str]]:
    """The recorded names of each pass, in order."""
    out = []
    for path in split_rules(rules, work):
        groups = yaml.safe_load(path.read_text())["groups"]
        out.append([rule["record"] for group in groups for rule in group["rules"]])
    return out


def rules_dir(tmp_path: Path, recording: str = RECORDING, alerts_yml: str | None = None) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "recording.yml").write_text(recording)
    if alerts_yml is not None:
        (directory / "alerts.yml").write_text(alerts_yml)
    return directory / "recording.yml"


def test_without_an_alerts_file_beside_it_only_the_recording_rules_are_backfilled(
    tmp_path: Path,
) -> None:
    assert passes(rules_dir(tmp_path), tmp_path) == [["team:created:sum"], ["all:created:sum"]]


def test_the_error_budgets_are_backfilled_in_four_passes_as_deep_as_they_read(
    tmp_path: Path,
) -> None:
    # hourly counts (raw series) -> attainment over 28d -> objective -> budget remaining
    rules = rules_dir(tmp_path, alerts_yml=alerts_yml())
    first, second, third, fourth = passes(rules, tmp_path)
    assert "team:created:sum" in first
    assert slo.BREACHES_1H in first and slo.VOLUME.format(w="1h") in first
    assert second == ["all:created:sum", slo.ATTAINMENT.format(w="28d")]
    assert third == [slo.OBJECTIVE]
    assert fourth == [slo.BUDGET.format(w="28d")]


def test_the_forecast_and_the_alerts_are_not_backfilled(tmp_path: Path) -> None:
    rules = rules_dir(tmp_path, alerts_yml=alerts_yml())
    names = {name for one in passes(rules, tmp_path) for name in one}
    assert not {name for name in names if "forecast" in name or "contacts" in name}
    assert all(":" in name for name in names)  # recording rules only, no alert


def test_the_project_rules_backfill_the_error_budgets_of_the_checked_in_alerts(
    tmp_path: Path,
) -> None:
    names = [name for one in passes(DEFAULT_RULES, tmp_path) for name in one]
    assert slo.BUDGET.format(w="28d") in names
    assert names.index(slo.OBJECTIVE) > names.index(slo.ATTAINMENT.format(w="28d"))


def test_rules_reading_each_other_in_a_circle_are_one_clear_error(tmp_path: Path) -> None:
    circle = """\
groups:
  - name: g
    rules:
      - record: a:x:sum
        expr: sum(b:x:sum)
      - record: b:x:sum
        expr: sum(a:x:sum)
"""
    with pytest.raises(UserError, match="read each other in a circle"):
        split_rules(rules_dir(tmp_path, circle), tmp_path)
