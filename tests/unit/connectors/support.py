"""Load the documented webhook samples in fixtures/ (each names its source)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streams.core.events import validate

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    sample = json.loads((FIXTURES / f"{name}.json").read_text())
    assert sample["source"], f"{name} names no source"
    return sample


def checked(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every event a connector yields must pass the contract's validation."""
    for event in events:
        validate(dict(event))
    return events
