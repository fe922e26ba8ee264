"""Where ``servicepulse backfill`` finds the recording rules it backfills by default.

The evaluation itself is ``streams.history.rules``; this module only locates the rules.
"""

from __future__ import annotations

from pathlib import Path

from streams.history.rules import recording_groups, split_rules
from streams.monitoring.prometheus import RULES_DIR

__all__ = ["DEFAULT_RULES", "default_rules", "recording_groups", "split_rules"]


def default_rules() -> Path:
    """The recording rules shipped in the package (``generate`` writes them; the error
    budgets' groups of the ``alerts.yml`` beside it are found from it)."""
    return RULES_DIR / "recording.yml"


DEFAULT_RULES = default_rules()
