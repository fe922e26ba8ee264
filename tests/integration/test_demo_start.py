"""`servicepulse demo` opens on a busy contact centre: figures on the first scrape, an outage
whose breaches climb while one watches."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import free_port

TEAMS = ("billing", "sales", "technical")
START = "2026-11-17T14:00:00+00:00"  # a Tuesday afternoon


def by_team(text: str, name: str, **match: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in match.items()):
                totals[sample.labels["team"]] += sample.value
    return dict(totals)


def scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


def start_demo(port: int, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "streams.cli", "demo", "--no-board", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--start", START, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_scrape(port: int, launched: float, limit: float) -> tuple[str, float]:
    while time.monotonic() - launched < limit:
        text = scrape(port)
        if text is not None:
            return text, time.monotonic() - launched
        time.sleep(0.05)
    raise AssertionError(f"no /metrics within {limit}s of launching the demo")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_the_first_scrape_already_has_every_teams_tickets_surveys_and_sla_outcomes() -> None:
    port = free_port()
    launched = time.monotonic()
    proc = start_demo(port)
    try:
        text, elapsed = first_scrape(port, launched, limit=10.0)
        assert elapsed <= 2.0, f"first scrape {elapsed:.2f}s after launch"
        for metric in (
            "servicepulse_tickets_created_total",
            "servicepulse_tickets_resolved_total",
            "servicepulse_survey_responses_total",
            "servicepulse_sla_outcomes_total",
        ):
            counts = by_team(text, metric)
            for team in TEAMS:
                assert counts.get(team, 0) > 0, f"{metric} has nothing for {team}"
        for outcome in ("met", "breached"):
            assert sum(by_team(text, "servicepulse_sla_outcomes_total", outcome=outcome).values())
    finally:
        stop(proc)


def test_an_outage_shows_its_teams_breached_clocks_climbing_within_a_minute() -> None:
    port = free_port()
    launched = time.monotonic()
    proc = start_demo(port, "--scenario", "outage", "--outage-team", "billing")
    try:
        text, _ = first_scrape(port, launched, limit=10.0)
        gauge = "servicepulse_sla_breached_open_tickets"
        first = by_team(text, gauge).get("billing", 0.0)
        watched = time.monotonic()
        latest = first
        while time.monotonic() - watched < 60 and latest <= first:
            time.sleep(1)
            latest = by_team(scrape(port) or "", gauge).get("billing", first)
        assert latest > first, f"billing's breached-open clocks stayed at {first} for 60s"
        at_risk = by_team(scrape(port) or "", "servicepulse_sla_at_risk_tickets")
        assert at_risk.get("billing", 0) > 0
    finally:
        stop(proc)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01"])
def test_a_bad_start_instant_is_one_line_error(bad: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "demo", "--no-board", "--start", bad],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--start" in result.stderr
