"""Where ``servicepulse backfill`` finds the recording rules it backfills by default.

The evaluation itself is ``streams.history.rules``; this module only locates the rules.
"""

from __future__ import annotations

from pathlib import Path

from streams.history.rules import recording_groups, split_rules

__all__ = ["DEFAULT_RULES", "default_rules", "recording_groups", "split_rules"]


def default_rules() -> Path:
    """The project's recording rules file (the error budgets' groups of the ``alerts.yml``
    beside it are found from it)."""
    return Path(__file__).resolve().parents[2] / "deploy/prometheus/rules/recording.yml"


DEFAULT_RULES = default_rules()
