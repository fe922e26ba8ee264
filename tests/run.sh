#!/usr/bin/env bash
# The whole ServicePulse test suite, on a fresh Debian machine or this one.
#
# Tiers (docs/testing.md):
#   bash tests/run.sh tests/unit                                  # unit tests: in-process, no services
#   bash tests/run.sh tests/cli                                   # the CLI run as a user runs it (subprocesses)
#   bash tests/run.sh -m "not kafka and not prometheus and not grafana and not postgres"  # service-free
#   bash tests/run.sh                                             # all tiers (unit, cli, integration)
#
# Installs what is missing (Debian: Prometheus, promtool, Alertmanager, amtool, Java, Maven,
# PostgreSQL;
# Python: the project with its test extras in .venv; Apache Kafka's jars from Maven Central),
# checks style and types, then runs pytest. The tests start Kafka, Prometheus and
# Alertmanager themselves on loopback and stop them again. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
say "installing servicepulse and its test dependencies into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,rocksdb]"

say "fetching Apache Kafka (Maven Central)"
bash deploy/kafka/kafka.sh fetch

# Grafana is no Debian package: its server is built from source through the Go module
# proxy (about 10 min the first time, cached in ~/.cache after). The push tests need it;
# if the build fails they skip and say so, the rest of the suite still runs.
if command -v go >/dev/null; then
  say "building Grafana's server from the Go module proxy (cached)"
  export GRAFANA_CACHE="${GRAFANA_CACHE:-$HOME/.cache/servicepulse-grafana}"
  bash deploy/grafana/build-grafana.sh >/dev/null \
    || echo "Grafana build failed: the tests that push to a real Grafana will skip"
fi

say "ruff check, ruff format --check and mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

say "pytest"
exec .venv/bin/python -m pytest "$@"
