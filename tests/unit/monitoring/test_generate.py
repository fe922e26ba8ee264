"""`servicepulse generate --check`: the one drift test, and what the generators derive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from streams.cli import main
from streams.core.policy import load_policies
from streams.export.catalogue import DURATION_BUCKETS
from streams.monitoring import alerts, docs, prometheus
from streams.monitoring.config import CONFIG, SERVICE_LEVEL_SECONDS

ROOT = Path(__file__).resolve().parents[3]
GENERATED_DIRS = ("deploy", "docs", "dashboards/json")


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


def test_service_level_thresholds_are_histogram_edges() -> None:
    for channel, seconds in SERVICE_LEVEL_SECONDS.items():
        assert seconds in DURATION_BUCKETS, f"{channel}: {seconds} s is not a bucket edge"
    assert SERVICE_LEVEL_SECONDS["phone"] == SERVICE_LEVEL_SECONDS["chat"] == 20.0


def oldest_unanswered_exprs(policy_text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "policy.yml"
    path.write_text(policy_text)
    rules = alerts.alerts(CONFIG, load_policies(path))
    return [a.expr for a in rules if a.name == "ServicePulseOldestUnansweredTooOld"]


def test_oldest_unanswered_threshold_is_the_teams_first_response_target(tmp_path: Path) -> None:
    policy = """\
policies:
  - name: vip
    match: {customer_tier: vip}
    targets: {first_response: 5m}
  - name: billing
    match: {team: billing}
    targets: {first_response: 30m}
  - name: rest
    match: {}
    targets: {first_response: 2h}
"""
    gauge = "team:servicepulse_oldest_unanswered_ticket_age_seconds:max"
    assert oldest_unanswered_exprs(policy, tmp_path) == [
        f'{gauge}{{team="billing"}} > 1800',
        f'{gauge}{{team!~"billing"}} > 7200',
    ]


def test_default_policy_gives_one_rule_at_the_catch_all_target() -> None:
    rules = [a for a in alerts.alerts() if a.name == "ServicePulseOldestUnansweredTooOld"]
    assert [a.expr for a in rules] == [
        "team:servicepulse_oldest_unanswered_ticket_age_seconds:max > 14400"  # 4h
    ]


def test_threshold_table_has_one_row_per_rule_variant() -> None:
    table = alerts.threshold_table(alerts.alerts())
    rows = [line for line in table.splitlines()[2:]]
    # 22 alerts (3 of them the forecast's, issue 25; OLABreach), SLABreach twice (urgent/VIP
    # and others), ErrorBudgetSlowBurn twice (6h, 3d)
    assert len(rows) == 24
    assert "| ServicePulseSLAAtRiskPilingUp | >= 5 clocks" in table


def test_splice_replaces_only_the_region() -> None:
    text = f"before\n{docs.begin('t')}\nold\n{docs.end('t')}\nafter\n"
    assert (
        docs.splice(text, "t", "new") == f"before\n{docs.begin('t')}\nnew\n{docs.end('t')}\nafter\n"
    )
    with pytest.raises(docs.MissingMarkers):
        docs.splice("no markers", "t", "new")


def test_local_config_scrapes_every_worker_with_absolute_rule_files() -> None:
    config = prometheus.local_config({"worker-1": 41001, "worker-2": 41002}, 41090, None, "2s")
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert [g["targets"] for g in jobs["servicepulse-worker"]["static_configs"]] == [
        ["127.0.0.1:41001"],
        ["127.0.0.1:41002"],
    ]
    assert set(jobs) == {"servicepulse-worker", "prometheus"}  # no Alertmanager given
    assert "alerting" not in config
    assert config["global"]["scrape_interval"] == config["global"]["scrape_timeout"] == "2s"
    assert config["global"]["evaluation_interval"] == "15s"
    assert config["rule_files"] == [
        str(ROOT / "deploy/prometheus/rules/recording.yml"),
        str(ROOT / "deploy/prometheus/rules/alerts.yml"),
    ]


def test_fast_rule_files_evaluate_every_group_each_second(tmp_path: Path) -> None:
    files = prometheus.fast_rule_files(tmp_path)
    assert [Path(f).name for f in files] == ["alerts.yml", "recording.yml"]
    groups = yaml.safe_load(Path(files[1]).read_text())["groups"]
    assert {g.get("interval") for g in groups} == {None, "1s"}
    original = yaml.safe_load((ROOT / "deploy/prometheus/rules/recording.yml").read_text())
    assert {g.get("interval") for g in original["groups"]} == {None, "1m", "2m"}
