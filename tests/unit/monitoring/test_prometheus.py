"""The Prometheus configs (prometheus.py): the stack's and the fast copies of the rule files."""

from __future__ import annotations

from pathlib import Path

import yaml

from streams.monitoring import prometheus

ROOT = Path(__file__).resolve().parents[3]


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
    # the rule files shipped in the package, not a checkout's
    shipped = ROOT / "streams" / "monitoring" / "rule_files"
    assert config["rule_files"] == [str(shipped / "recording.yml"), str(shipped / "alerts.yml")]


def test_the_rule_files_shipped_in_the_package_are_the_checked_in_ones() -> None:
    for name in ("recording.yml", "alerts.yml"):
        shipped = (prometheus.RULES_DIR / name).read_bytes()
        assert shipped == (ROOT / "deploy" / "prometheus" / "rules" / name).read_bytes()


def test_fast_rule_files_evaluate_every_group_each_second(tmp_path: Path) -> None:
    files = prometheus.fast_rule_files(tmp_path)
    assert [Path(f).name for f in files] == ["alerts.yml", "recording.yml"]
    groups = yaml.safe_load(Path(files[1]).read_text())["groups"]
    assert {g.get("interval") for g in groups} == {None, "1s"}
    original = yaml.safe_load((ROOT / "deploy/prometheus/rules/recording.yml").read_text())
    assert {g.get("interval") for g in original["groups"]} == {None, "1m", "2m"}
