"""Deployment defaults that are safe (no admin/admin, no lifecycle API)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[3]
SCRIPT = ROOT / "deploy" / "grafana" / "admin_password.py"


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_prometheus_runs_without_the_lifecycle_api() -> None:
    assert not any("lifecycle" in arg for arg in compose_services()["prometheus"]["command"])


def test_grafana_takes_its_admin_password_from_a_generated_file_not_a_default() -> None:
    grafana = compose_services()["grafana"]
    env = grafana["environment"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/servicepulse/grafana-admin-password"
    assert grafana["depends_on"]["grafana-secret"]["condition"] == "service_completed_successfully"
    assert "admin / admin" not in (ROOT / "docker-compose.yml").read_text()


def test_the_image_serves_metrics_on_loopback_unless_told_otherwise() -> None:
    assert "SERVICEPULSE_METRICS_HOST=0.0.0.0" not in (ROOT / "Dockerfile").read_text()
    for name, service in compose_services().items():
        if name.startswith("worker"):  # scraped inside the compose network; host port loopback
            assert service["environment"]["SERVICEPULSE_METRICS_HOST"] == "0.0.0.0"
            assert all(port.startswith("127.0.0.1:") for port in service["ports"])


def run_script(path: Path, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GRAFANA_ADMIN_PASSWORD"}
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, env=env
    )


def test_the_admin_password_is_generated_once_kept_and_never_printed(tmp_path: Path) -> None:
    path = tmp_path / "secret" / "pw"
    first = run_script(path, None)
    generated = path.read_text().strip()
    assert first.returncode == 0 and len(generated) >= 32
    assert generated not in first.stdout + first.stderr
    assert path.stat().st_mode & 0o077 == 0  # only its owner reads it
    assert run_script(path, None).returncode == 0 and path.read_text().strip() == generated
    given = run_script(path, "from-the-environment")
    assert path.read_text().strip() == "from-the-environment"
    assert "from-the-environment" not in given.stdout + given.stderr
