"""The Alertmanager configuration of the stack and of docker-compose.

Both are streams/monitoring/alertmanager.py's routing tree with every team lead's webhook
pointed at the demo team-lead receiver (deploy/stack/team_lead.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.errors import UserError
from streams.monitoring import alertmanager
from streams.monitoring.render import compose_alertmanager_yml


def alertmanager_config(receiver: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The routing tree; every lead without a configured address -> ``receiver/<team>``.

    A ``SERVICEPULSE_LEAD_WEBHOOK_<TEAM>`` or ``SERVICEPULSE_FALLBACK_WEBHOOK`` already in
    ``environ`` is kept.
    """
    try:
        return alertmanager.render_config(alertmanager.with_receiver(receiver, environ))
    except ValueError as exc:  # alertmanager.RenderError
        raise UserError(f"alertmanager configuration: {exc}") from None


def compose_alertmanager_text(teams: str | None = None) -> str:
    """The compose Alertmanager config; ``teams``: comma-separated (default the config's)."""
    try:
        return compose_alertmanager_yml(teams=teams)
    except ValueError as exc:
        raise UserError(f"alertmanager configuration: {exc}") from None
