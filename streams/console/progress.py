"""A small progress line on stderr for long-running commands (only on a terminal)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, unit: str = "items") -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.started = time.monotonic()
        self._last = 0.0

    def update(self, done: int, extra: str = "") -> None:
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        share = f"{100 * done / self.total:5.1f}%" if self.total else f"{done:,} {self.unit}"
        rate = done / max(now - self.started, 1e-9)
        sys.stderr.write(f"\r{self.label}: {share}  {rate:,.0f} {self.unit}/s  {extra}   ")
        sys.stderr.flush()

    def done(self, summary: str) -> None:
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r{self.label}: done in {elapsed:.1f}s — {summary}\n")
        sys.stderr.flush()
