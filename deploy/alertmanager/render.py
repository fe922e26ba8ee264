#!/usr/bin/env python3
"""Render a deployment's Alertmanager configuration from its environment.

The same function `servicepulse generate` writes deploy/alertmanager/alertmanager.yml with
(streams/monitoring/render.py, ``alertmanager_yml``), with the team leads' addresses of the
environment instead of placeholders (the SERVICEPULSE_* variables:
streams/monitoring/alertmanager.py):

    SERVICEPULSE_LEAD_WEBHOOK_BILLING=https://hooks.example/billing \\
    python3 deploy/alertmanager/render.py --out /etc/alertmanager/alertmanager.yml
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

from streams.monitoring.alertmanager import RenderError
from streams.monitoring.render import alertmanager_yml

TIMINGS = ("group_wait", "group_interval", "repeat_interval")
TIMINGS += ("critical_group_wait", "critical_repeat_interval")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", help="write here instead of stdout")
    parser.add_argument(
        "--default", action="store_true", help="ignore the environment (placeholder receivers)"
    )
    for name in TIMINGS:  # default: Routing in streams/monitoring/config.py
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name)
    args = parser.parse_args(argv)
    timing = {name: getattr(args, name) for name in TIMINGS if getattr(args, name)}
    try:
        text = alertmanager_yml({} if args.default else os.environ, **timing)
    except RenderError as exc:
        print(f"render.py: error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
