"""ServicePulse's Grafana dashboards as code.

The boards are built with grafana-foundation-sdk (``dashboards/live_operations.py``,
``team_sla.py``, ``executive_weekly.py``) and checked in as JSON under
``dashboards/json/``; ``servicepulse dashboards build`` regenerates them and the
test suite fails when the checked-in files differ from what the code generates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from streams.core.policy import PolicySet

from .boards import executive_weekly, live_operations, team_sla
from .lib import ALERTMANAGER_UID, PROMETHEUS_UID
from .targets import SlaTargets, sla_targets

__all__ = [
    "ALERTMANAGER_UID",
    "BOARDS",
    "FOLDER_TITLE",
    "FOLDER_UID",
    "JSON_DIR",
    "PROMETHEUS_UID",
    "build_all",
    "iter_panels",
    "render",
    "write_all",
]

JSON_DIR = Path(__file__).resolve().parent / "json"
FOLDER_UID = "servicepulse"
FOLDER_TITLE = "ServicePulse"

# file name -> board builder
BOARDS: dict[str, Callable[[SlaTargets], dash.Dashboard]] = {
    "live-operations.json": live_operations.build,
    "team-lead-sla.json": team_sla.build,
    "executive-weekly.json": executive_weekly.build,
}


def _normalise(board: dict[str, Any]) -> dict[str, Any]:
    """Fill in what the SDK leaves to the UI: panel ids, an annotation list, no null options."""
    board.setdefault("annotations", {}).setdefault("list", [])
    board["id"] = None
    board["version"] = 1
    board["schemaVersion"] = max(int(board.get("schemaVersion", 36)), 36)
    board.pop("style", None)  # deprecated, ignored by Grafana >= 9
    for n, panel in enumerate(iter_panels(board), start=1):
        panel["id"] = n
        if panel.get("options") is None:
            panel.pop("options", None)
        for target in panel.get("targets", []):
            if target.get("legendFormat") == "__auto":
                target.pop("legendFormat")
    for var in board.get("templating", {}).get("list", []):
        var.pop("id", None)  # the SDK's all-zero uuid; Grafana needs none
    return board


def iter_panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a board, rows and the panels of collapsed rows included, in order."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def build_all(policies: PolicySet | None = None) -> dict[str, dict[str, Any]]:
    """file name -> dashboard JSON document (a dict), thresholds from ``policies``."""
    sla = sla_targets(policies)
    encoder = JSONEncoder(sort_keys=True)
    out = {}
    for name, builder in BOARDS.items():
        doc = json.loads(encoder.encode(builder(sla).build()))
        out[name] = _normalise(doc)
    return out


def render(board: dict[str, Any]) -> str:
    """The canonical text of a board: sorted keys, 2-space indent, final newline."""
    return json.dumps(board, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(directory: Path, policies: PolicySet | None = None) -> list[Path]:
    """Write every board to ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, board in build_all(policies).items():
        path = directory / name
        path.write_text(render(board), encoding="utf-8")
        written.append(path)
    return written
