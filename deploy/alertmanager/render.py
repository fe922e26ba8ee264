#!/usr/bin/env python3
"""Render the Alertmanager configuration of ServicePulse from the environment.

The code lives in streams/monitoring/alertmanager.py (its docstring lists the
SERVICEPULSE_* variables); this script stays for deployments that render the
file with the team leads' addresses:

    SERVICEPULSE_LEAD_WEBHOOK_BILLING=https://hooks.example/billing \\
    python3 deploy/alertmanager/render.py --out /etc/alertmanager/alertmanager.yml

The checked-in alertmanager.yml is written by `servicepulse generate`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from streams.monitoring.alertmanager import (
    DEFAULT_TEAMS,
    PIPELINE_TEAM,
    RenderError,
    env_key,
    main,
    parse_teams,
    render_config,
    render_text,
)

__all__ = [
    "DEFAULT_TEAMS",
    "PIPELINE_TEAM",
    "RenderError",
    "env_key",
    "parse_teams",
    "render_config",
    "render_text",
]

if __name__ == "__main__":
    sys.exit(main())
