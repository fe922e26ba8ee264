"""The layers hold: the core imports no adapter library.

Module length is a review guideline (DEVELOPERS.md), not a test: split by concern, never to
meet a number.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import streams.core

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("kafka", "aiokafka", "faust", "prometheus_client", "rich", "aiohttp", "mode")


def test_the_core_imports_nothing_from_kafka_faust_prometheus_rich_or_aiohttp() -> None:
    modules = [f"streams.core.{m.name}" for m in pkgutil.iter_modules(streams.core.__path__)]
    assert "streams.core.engine" in modules and len(modules) >= 10
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "", f"streams.core pulled in: {done.stdout.strip()}"
