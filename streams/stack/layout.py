"""Where the stack finds its files and the fixed names and ports it uses."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
PROMETHEUS_BASE = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERTMANAGER_RENDER = REPO_ROOT / "deploy" / "alertmanager" / "render.py"
TEAM_LEAD = REPO_ROOT / "deploy" / "stack" / "team_lead.py"
COMPOSE_ALERTMANAGER = REPO_ROOT / "deploy" / "stack" / "alertmanager.compose.yml"

DEFAULT_DIR = str(REPO_ROOT / "var" / "stack")  # var/ is gitignored
STATE_FILE = "stack.json"
MARKER_ENV = "SERVICEPULSE_STACK"
WORKER_JOB = "servicepulse-worker"  # the job the alerts and recording rules expect
SCENARIOS = ("normal", "surge", "outage")

# --default-ports: the ports of deploy/prometheus/prometheus.yml, deploy/grafana and the
# docs (the Kafka controller moves to 9094: 9093 is Alertmanager's).
DEFAULT_PORTS = {
    "kafka": 9092,
    "kafka-controller": 9094,
    "team-lead": 9095,
    "alertmanager": 9093,
    "prometheus": 9090,
    "worker": 9109,  # worker-N: 9109 + N - 1
}

# The order of `down`: producers first, Kafka last (the workers commit on the way out).
STOP_ORDER = ("simulator", "worker", "prometheus", "alertmanager", "team-lead", "kafka")
