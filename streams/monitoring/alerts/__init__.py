"""The alert rules of ServicePulse, one module per family (the groups of alerts.yml).

Every expression has the thresholds of the config (streams/monitoring/config.py) filled in;
render.py writes them, with the recording groups of slo and forecast, into alerts.yml.
"""

from __future__ import annotations

from streams.core.policy import DEFAULT_POLICY_SET, PolicySet
from streams.monitoring.alerts import backlog, forecast, pipeline, satisfaction, sla, slo
from streams.monitoring.alerts.alert import Alert
from streams.monitoring.config import CONFIG, MonitoringConfig

# the groups of alerts.yml, in order (the ``group`` of each Alert)
GROUPS = ("sla", "backlog", "satisfaction", "pipeline", "slo", "forecast")


def build(
    config: MonitoringConfig = CONFIG, policies: PolicySet = DEFAULT_POLICY_SET
) -> list[Alert]:
    """Every alert rule, for this config and the policy file's targets and objectives."""
    return [
        *sla.alerts(config, policies),
        *backlog.alerts(config),
        *satisfaction.alerts(config),
        *pipeline.alerts(config),
        *slo.alerts(config, policies.objectives),
        *forecast.alerts(config),
    ]
