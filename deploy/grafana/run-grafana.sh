#!/usr/bin/env bash
# Start a Grafana with ServicePulse's provisioning: the Prometheus and
# Alertmanager data sources and the three boards are there at once.
#
#   deploy/grafana/run-grafana.sh            # http://127.0.0.1:3000, user admin
#
# Uses $GRAFANA_BIN / $GRAFANA_HOME when set (any Grafana >= 10: a distribution
# package or a release tarball), else builds one from source with
# deploy/grafana/build-grafana.sh (cached under var/grafana). Settings from the
# environment (defaults in brackets):
#   GRAFANA_PORT [3000]  GRAFANA_ADDR [127.0.0.1]
#   GRAFANA_ADMIN_PASSWORD [generated once into $STATE/admin-password, never printed]
#   SERVICEPULSE_PROMETHEUS_URL   [http://127.0.0.1:9090]
#   SERVICEPULSE_ALERTMANAGER_URL [http://127.0.0.1:9093]
# State (database, logs) goes to var/grafana-run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [[ -z ${GRAFANA_BIN:-} ]]; then
    eval "$("$ROOT/deploy/grafana/build-grafana.sh" | grep '^GRAFANA_')"
fi
: "${GRAFANA_HOME:?set GRAFANA_HOME to the Grafana installation (with conf/ and public/)}"

STATE=${GRAFANA_STATE:-$ROOT/var/grafana-run}
mkdir -p "$STATE"
export SERVICEPULSE_PROMETHEUS_URL=${SERVICEPULSE_PROMETHEUS_URL:-http://127.0.0.1:9090}
export SERVICEPULSE_ALERTMANAGER_URL=${SERVICEPULSE_ALERTMANAGER_URL:-http://127.0.0.1:9093}
export SERVICEPULSE_DASHBOARDS_DIR=$ROOT/dashboards/json
export GF_PATHS_PROVISIONING=$ROOT/deploy/grafana/provisioning
export GF_PATHS_DATA=$STATE/data GF_PATHS_LOGS=$STATE/logs GF_PATHS_PLUGINS=$STATE/plugins
export GF_SERVER_HTTP_ADDR=${GRAFANA_ADDR:-127.0.0.1} GF_SERVER_HTTP_PORT=${GRAFANA_PORT:-3000}
python3 "$ROOT/deploy/grafana/admin_password.py" "$STATE/admin-password" >&2
export GF_SECURITY_ADMIN_PASSWORD__FILE=$STATE/admin-password
# open the Live operations board on login; no calls home
export GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=$SERVICEPULSE_DASHBOARDS_DIR/live-operations.json
export GF_ANALYTICS_REPORTING_ENABLED=false GF_ANALYTICS_CHECK_FOR_UPDATES=false
# the Alertmanager "Alert groups" panel of the team lead board is an alpha panel
export GF_PANELS_ENABLE_ALPHA=true
export GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false GF_NEWS_NEWS_FEED_ENABLED=false
echo "Grafana on http://$GF_SERVER_HTTP_ADDR:$GF_SERVER_HTTP_PORT (user admin, password in $STATE/admin-password)" >&2
cd "$STATE"
exec "$GRAFANA_BIN" server --homepath "$GRAFANA_HOME" "$@"
