"""The Prometheus configuration of the stack: the project's globals and rules, its targets.

Kept alone so that one Prometheus-config builder for the stack, compose, the tests and the
screenshot tool can replace it in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from streams.errors import UserError
from streams.stack.layout import PROMETHEUS_BASE, WORKER_JOB


def prometheus_config(
    workers: Mapping[str, int],
    prometheus_port: int,
    alertmanager_port: int | None,
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
    base: Path = PROMETHEUS_BASE,
) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml's globals and rule files, with the stack's targets.

    ``workers``: worker name -> its /metrics port. Rule file paths become absolute.
    """
    try:
        doc = yaml.safe_load(base.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"cannot read {base}: {exc}") from None
    config_global = dict(doc.get("global") or {})
    if scrape_interval:
        config_global["scrape_interval"] = scrape_interval
        config_global["scrape_timeout"] = scrape_interval
    if evaluation_interval:
        config_global["evaluation_interval"] = evaluation_interval
    rule_files = [os.path.join(base.parent.resolve(), rf) for rf in doc.get("rule_files") or []]
    config: dict[str, Any] = {"global": config_global, "rule_files": rule_files}
    if alertmanager_port:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        }
    scrape = [
        {
            "job_name": WORKER_JOB,
            "static_configs": [
                {
                    "targets": [f"127.0.0.1:{port}"],
                    "labels": {"component": "worker", "worker": name},
                }
                for name, port in workers.items()
            ],
        },
        {
            "job_name": "prometheus",
            "static_configs": [{"targets": [f"127.0.0.1:{prometheus_port}"]}],
        },
    ]
    if alertmanager_port:
        scrape.append(
            {
                "job_name": "alertmanager",
                "static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}],
            }
        )
    config["scrape_configs"] = scrape
    return config
