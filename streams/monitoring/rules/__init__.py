"""The recording rules of ServicePulse, one module per family.

The figures of the contract (contract.py), the pipeline (pipeline.py), the journey across
teams (ola.py), the contact centre (contact_centre.py) and the state gauges (state.py) make
deploy/prometheus/rules/recording.yml; the error budgets (slo.py) and the forecast
(forecast.py) are generated into alerts.yml beside their alerts, so that each file can be
tested alone. The windows each audience needs (``WINDOWS`` in config.py):

    5m, 1h  live operations (wallboards, alerts)
    1d      daily review
    7d      weekly executive panels

Names follow the ``level:metric:operations`` convention of the Prometheus docs and the
monitoring mixins: ``team:...`` by (team), ``team_target:...`` by (team, target), ``:...``
all teams together.
"""

from __future__ import annotations

from streams.monitoring.config import CONFIG, WINDOWS, MonitoringConfig
from streams.monitoring.promql import Group
from streams.monitoring.rules import contact_centre, contract, ola, pipeline, state


def recording_groups(config: MonitoringConfig = CONFIG) -> list[Group]:
    """The groups of recording.yml, in order: state first, then each window's."""
    groups: list[Group] = [
        ("servicepulse.state", None, state.rules()),
        ("servicepulse.contact_centre.state", None, contact_centre.state_rules()),
    ]
    for w, interval in WINDOWS.items():
        figures = contract.rules_for_window(w) + pipeline.rules_for_window(w)
        groups.append((f"servicepulse.window.{w}", interval, figures + ola.rules_for_window(w)))
        groups.append(
            (
                f"servicepulse.contact_centre.{w}",
                interval,
                contact_centre.rules_for_window(w, config),
            )
        )
    return groups
