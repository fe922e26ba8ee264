"""`servicepulse generate --check`: the one drift test, and what the generators derive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from streams.cli import main
from streams.commands.generate import find_root
from streams.errors import UserError
from streams.monitoring.config import CONFIG

ROOT = Path(__file__).resolve().parents[3]
GENERATED_DIRS = ("deploy", "docs", "dashboards/json", "streams/monitoring/rule_files")


def test_generated_files_match_the_config_on_a_clean_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["generate", "--check", "--runbook-url", CONFIG.runbook_url]) == 0, (
        capsys.readouterr().err
    )


def copy_tree(tmp_path: Path) -> Path:
    for d in GENERATED_DIRS:
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("*.png"))
    return tmp_path


def test_check_names_every_drifted_file_and_generate_repairs_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_tree(tmp_path)
    alerts_yml = root / "deploy/prometheus/rules/alerts.yml"
    alerts_yml.write_text(alerts_yml.read_text().replace(">= 5", ">= 6", 1))
    board = root / "dashboards/json/live-operations.json"
    board.write_text(board.read_text().replace("Open backlog", "Open backlog!", 1))
    (root / "deploy/alertmanager/alertmanager.yml").unlink()
    args = ["generate", "--root", str(root), "--runbook-url", CONFIG.runbook_url]

    assert main([*args, "--check"]) == 1
    err = capsys.readouterr().err
    drifted = {line.split(": ", 1)[1] for line in err.splitlines() if line.startswith("drifted:")}
    assert drifted == {
        "deploy/prometheus/rules/alerts.yml",
        "dashboards/json/live-operations.json",
        "deploy/alertmanager/alertmanager.yml",
    }
    assert main(args) == 0
    assert main([*args, "--check"]) == 0


def test_runbook_url_option_moves_every_link(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    base = "https://runbooks.example.org/servicepulse.html"
    assert main(["generate", "--root", str(root), "--runbook-url", base]) == 0
    doc = yaml.safe_load((root / "deploy/prometheus/rules/alerts.yml").read_text())
    urls = {
        r["annotations"]["runbook_url"] for g in doc["groups"] for r in g["rules"] if "alert" in r
    }
    assert "https://runbooks.example.org/servicepulse.html#servicepulseworkerdown" in urls
    assert all(u.startswith(base + "#") for u in urls)


def test_the_default_root_is_the_checkout_around_the_working_directory(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    (root / "docs" / "deep").mkdir()
    assert find_root(root / "docs" / "deep") == root
    assert find_root(ROOT / "streams" / "monitoring") == ROOT


def test_outside_a_checkout_generate_says_to_give_the_root(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="give --root DIR"):
        find_root(tmp_path)
