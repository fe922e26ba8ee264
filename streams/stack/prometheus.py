"""The Prometheus configuration of the stack, from the one builder (streams/monitoring)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.monitoring.prometheus import local_config


def prometheus_config(
    workers: Mapping[str, int],
    prometheus_port: int,
    alertmanager_port: int | None,
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
) -> dict[str, Any]:
    """The project's globals and rule files with the stack's targets (``local_config``)."""
    return local_config(
        workers, prometheus_port, alertmanager_port, scrape_interval, evaluation_interval
    )
