"""Where the stack finds its files and the fixed names and ports it uses.

The local stack is a developer's tool that runs from a source checkout, not from an installed
package: it starts Kafka with deploy/kafka/kafka.sh (and the jars it downloads into
deploy/kafka/dist), the demo receiver deploy/stack/team_lead.py, and keeps its state in the
checkout's var/ — so, unlike the package's other code, it locates the checkout by path
(``REPO_ROOT``) and says so when a file is missing (options.check_prerequisites). Its Prometheus and
Alertmanager configs and rules come from code (streams/monitoring), not from deploy/.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
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
