"""Prometheus and Alertmanager configuration: syntax, unit tests, metadata, coverage.

Runs the real promtool and amtool (Debian packages `prometheus`,
`prometheus-alertmanager`; tests/run.sh installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"
RULES = PROM / "rules"
AM = ROOT / "deploy" / "alertmanager"
PROMTOOL_TESTS = sorted((ROOT / "tests" / "promtool").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks.md"
RUNBOOK_URL = "docs/runbooks.md#"  # streams/monitoring/config.py DEFAULT_RUNBOOK_URL
SEVERITIES = {"critical", "warning"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian: prometheus / prometheus-alertmanager)")
    return path


def run(
    *args: str | Path, cwd: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[dict[str, Any]]:
    return [r for g in load(RULES / "alerts.yml")["groups"] for r in g["rules"] if "alert" in r]


def recording_rules() -> list[dict[str, Any]]:
    """recording.yml, and the error budgets' recording groups of alerts.yml (servicepulse.slo.*)."""
    return [
        r
        for path in ("recording.yml", "alerts.yml")
        for g in load(RULES / path)["groups"]
        for r in g["rules"]
        if "record" in r
    ]


def github_anchor(heading: str) -> str:
    """GitHub's slug of a Markdown heading."""
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    return slug.replace(" ", "-")


# ---------------------------------------------------------------- the tools


@pytest.mark.prometheus
def test_promtool_check_config() -> None:
    result = run(tool("promtool"), "check", "config", PROM / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.prometheus
def test_promtool_check_rules() -> None:
    result = run(tool("promtool"), "check", "rules", RULES / "recording.yml", RULES / "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.prometheus
@pytest.mark.parametrize("test_file", PROMTOOL_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests(test_file: Path) -> None:
    result = run(tool("promtool"), "test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.prometheus
def test_amtool_check_config() -> None:
    result = run(tool("amtool"), "check-config", AM / "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["team=billing", "severity=warning"], "lead-billing"),
        (["team=technical", "severity=critical"], "lead-technical"),
        (["team=sales", "severity=warning"], "lead-sales"),
        (["team=platform", "severity=critical"], "lead-platform"),
        (["team=nobody", "severity=critical"], "unrouted"),
        (["severity=warning"], "unrouted"),
        # ticket-level alerts (docs/warnings.md)
        (
            [
                "alertname=ServicePulseTicketSLAAtRisk",
                "team=billing",
                "priority=normal",
                "customer_tier=standard",
                "severity=warning",
            ],
            "lead-billing",
        ),
        (
            [
                "alertname=ServicePulseTicketSLAEscalated",
                "team=technical",
                "escalate=manager",
                "severity=critical",
            ],
            "manager-technical",
        ),
        (["alertname=ServicePulseTicketSLABreached", "team=newteam"], "unrouted"),
        # a standard ticket's breach: the lead (at any hour: test_alertmanager_routes.py and
        # test_ticket_alerts.py, as amtool does not show time muting)
        (
            [
                "alertname=ServicePulseTicketSLABreached",
                "team=billing",
                "priority=normal",
                "customer_tier=standard",
                "severity=critical",
            ],
            "lead-billing",
        ),
        # error budgets: the fast burn pages the lead, the slow burn is a ticket for the lead
        (
            ["alertname=ServicePulseErrorBudgetFastBurn", "team=sales", "severity=critical"],
            "lead-sales",
        ),
        (
            ["alertname=ServicePulseErrorBudgetSlowBurn", "team=sales", "severity=warning"],
            "lead-sales",
        ),
    ],
)
def test_alertmanager_routes_by_team(labels: list[str], receiver: str) -> None:
    result = run(
        tool("amtool"), "config", "routes", "test",
        f"--config.file={AM / 'alertmanager.yml'}", *labels,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [receiver]


# ------------------------------------------------ Alertmanager rendering
# (drift of every generated file: tests/unit/monitoring/test_generate.py)


@pytest.mark.prometheus
def test_render_fills_the_leads_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "am.yml"
    env = {
        "PATH": "/usr/bin:/bin",
        "SERVICEPULSE_TEAMS": "billing,first-line",
        "SERVICEPULSE_LEAD_WEBHOOK_BILLING": "https://hooks.example.com/billing",
        "SERVICEPULSE_LEAD_EMAIL_FIRST_LINE": "lead-fl@example.com",
        "SERVICEPULSE_LEAD_SLACK_BILLING": "https://hooks.slack.example.com/T/B/x",
        "SERVICEPULSE_SMTP_SMARTHOST": "smtp.example.com:587",
    }
    result = subprocess.run(
        [sys.executable, str(AM / "render.py"), "--out", str(out)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config = load(out)
    receivers = {r["name"]: r for r in config["receivers"]}
    assert set(receivers) == {
        "unrouted", "lead-billing", "lead-first-line", "lead-platform",
        "manager-billing", "manager-first-line",
    }  # fmt: skip
    assert (
        receivers["lead-billing"]["webhook_configs"][0]["url"]
        == env["SERVICEPULSE_LEAD_WEBHOOK_BILLING"]
    )
    assert receivers["lead-billing"]["slack_configs"][0]["api_url"].startswith("https://hooks.")
    assert receivers["lead-first-line"]["email_configs"][0]["to"] == "lead-fl@example.com"
    assert config["global"]["smtp_smarthost"] == "smtp.example.com:587"
    checked = run(tool("amtool"), "check-config", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_render_refuses_email_without_smtp() -> None:
    result = subprocess.run(
        [sys.executable, str(AM / "render.py")],
        env={"PATH": "/usr/bin:/bin", "SERVICEPULSE_LEAD_EMAIL_BILLING": "a@example.com"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "SERVICEPULSE_SMTP_SMARTHOST" in result.stderr


def test_pipeline_alerts_inhibit_sla_alerts() -> None:
    config = load(AM / "alertmanager.yml")
    sources = " ".join(m for rule in config["inhibit_rules"] for m in rule["source_matchers"])
    for name in ("ServicePulseWorkerDown", "ServicePulseNoEventsProcessed"):
        assert name in sources
    categories = {r["labels"]["category"] for r in alert_rules()}
    assert categories == {"sla", "backlog", "satisfaction", "pipeline"}


# ---------------------------------------------------------------- metadata


def test_every_alert_has_severity_team_and_annotations() -> None:
    rules = alert_rules()
    assert len({r["alert"] for r in rules}) == 22  # the forecast's 3, OLABreach
    for rule in rules:
        name = rule["alert"]
        labels = rule.get("labels", {})
        assert labels.get("severity") in SEVERITIES, name
        # team: a static label, or kept from the series by the expression
        assert "team" in labels or re.search(r"\bteam\b|(?<![\w:])team(_\w+)?:", rule["expr"]), name
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert annotations.get(key), f"{name}: no {key}"
        # the figure: the value, or for an up/down alert the target that is down
        description = annotations["description"]
        assert "{{ $value" in description or "{{ $labels.instance" in description, name


def test_every_runbook_url_points_at_a_section_of_the_runbooks() -> None:
    anchors = {
        github_anchor(line.lstrip("#"))
        for line in RUNBOOKS.read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in alert_rules():
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(RUNBOOK_URL), url
        anchor = url[len(RUNBOOK_URL) :]
        assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/runbooks.md"
        assert anchor == github_anchor(rule["alert"]), rule["alert"]


def test_every_alert_is_in_the_threshold_tables() -> None:
    alerts_text = (RULES / "alerts.yml").read_text()
    runbooks = RUNBOOKS.read_text()
    for name in {r["alert"] for r in alert_rules()}:
        assert re.search(rf"^# \| {name}\b", alerts_text, re.M), f"{name} not in alerts.yml table"
        assert re.search(rf"^\| {name}\b", runbooks, re.M), f"{name} not in runbooks table"


# ---------------------------------------------------------------- coverage


def promtool_tests() -> list[dict[str, Any]]:
    return [group for path in PROMTOOL_TESTS for group in load(path)["tests"]]


def test_every_recording_rule_is_unit_tested() -> None:
    text = "\n".join(p.read_text() for p in PROMTOOL_TESTS)
    untested = [
        r["record"]
        for r in recording_rules()
        if not re.search(rf"(?<![\w:]){re.escape(r['record'])}(?![\w:])", text)
    ]
    assert not untested, f"recording rules without a promtool test: {untested}"


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for group in promtool_tests():
        for case in group.get("alert_rule_test", []):
            expected = case.get("exp_alerts") or []
            (firing if expected else quiet).add(case["alertname"])
            for alert in expected:
                assert {"severity", "team"} <= set(alert["exp_labels"]), case["alertname"]
                assert {"summary", "description", "runbook_url"} <= set(alert["exp_annotations"]), (
                    case["alertname"]
                )
    names = {r["alert"] for r in alert_rules()}
    assert names - firing == set(), "alerts never tested firing"
    assert names - quiet == set(), "alerts never tested quiet"


# -------------------------------------------------- the tests can fail


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("rules_file", "old", "new", "test_file"),
    [
        # an alert threshold moved by one
        ("alerts.yml", "team_target:servicepulse_sla_at_risk_tickets:sum >= 5",
         "team_target:servicepulse_sla_at_risk_tickets:sum >= 6", "alerts_test.yml"),
        # a derived figure counting score 3 as satisfied
        ("recording.yml", 'kind="csat",score=~"4|5"', 'kind="csat",score=~"3|4|5"',
         "recording_live_test.yml"),
        # an error budget's page without its minimum-volume guard: the quiet night pages
        ("alerts.yml", "team_target:servicepulse_slo_outcomes:increase1h >= 10",
         "team_target:servicepulse_slo_outcomes:increase1h >= 1", "slo_burn_test.yml"),
        # the objective of every team, billing's override ignored
        ("alerts.yml", '{target="first_response",team="billing"} * 0 + 0.98',
         '{target="first_response",team="billing"} * 0 + 0.95', "slo_burn_test.yml"),
        # the error budget against the attainment instead of the allowed misses
        ("alerts.yml", "  (1 - team_target:servicepulse_slo_objective:ratio)\n",
         "  (team_target:servicepulse_slo_objective:ratio)\n", "slo_budget_test.yml"),
        # the forecast alert without its minimum volume: the quiet night warns
        ("alerts.yml", "team:servicepulse_forecast_arrivals:rate1h * 3600 >= 10",
         "team:servicepulse_forecast_arrivals:rate1h * 3600 >= 1", "forecast_test.yml"),
        # Erlang B's recursion off by one agent
        ("alerts.yml", "(2 + team:servicepulse_forecast_traffic:erlangs",
         "(3 + team:servicepulse_forecast_traffic:erlangs", "forecast_test.yml"),
        # the forecast's past weeks at the same hour instead of the next one
        ("alerts.yml", "offset 167h", "offset 168h", "forecast_history_test.yml"),
        # the backlog judged against nothing instead of its usual: steady state warns
        ("alerts.yml", "> on (team) 1.25 * team:servicepulse_backlog_usual:avg",
         "> on (team) 0 * team:servicepulse_backlog_usual:avg", "backlog_usual_test.yml"),
    ],
)  # fmt: skip
def test_unit_tests_catch_a_broken_rule(
    tmp_path: Path, rules_file: str, old: str, new: str, test_file: str
) -> None:
    rules = tmp_path / "deploy" / "prometheus" / "rules"
    tests = tmp_path / "tests" / "promtool"
    shutil.copytree(RULES, rules)
    tests.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "promtool" / test_file, tests / test_file)
    text = (rules / rules_file).read_text()
    assert old in text
    (rules / rules_file).write_text(text.replace(old, new))
    result = run(tool("promtool"), "test", "rules", tests / test_file)
    assert result.returncode != 0, "the unit tests did not notice the broken rule"
    assert "FAILED" in result.stdout + result.stderr
