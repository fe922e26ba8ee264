"""Progress of a long-running command on stderr.

On a terminal a bar redrawn in place (at most five times a second) with the rate and, when
the total is known, the share done and an estimate of the time left; otherwise (a log, a
pipe, ``docker compose logs``) one plain line every ``LINE_EVERY`` seconds, so a long run
shows it is alive without flooding the log.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR = 24  # characters
CLEAR = "\x1b[K"  # the rest of the terminal line, after a shorter redraw
LINE_EVERY = 10.0  # seconds between two lines when stderr is not a terminal


def duration(seconds: float) -> str:
    """``45s``, ``12m05s``, ``3h07m``."""
    seconds = max(0, int(seconds + 0.5))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "items",
        stream: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.every = 0.2 if self.interactive else LINE_EVERY
        self.started = time.monotonic()
        self.already = 0  # done before ``started`` (not counted in the rate)
        self._last = self.started if not self.interactive else 0.0
        self._drawn = False

    def phase(self, label: str, total: int | None, unit: str, already: int = 0) -> None:
        """Start counting something else (the rate and the estimate start again);
        ``already`` of it were done elsewhere before, and count in the share, not the rate."""
        self._end_line()
        self.label, self.total, self.unit = label, total, unit
        self.already = already
        self.started = time.monotonic()
        self._last = self.started if not self.interactive else 0.0

    def line(self, done: int, extra: str = "", now: float | None = None) -> str:
        """What :meth:`update` shows for ``done`` (without the carriage return)."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = max(done - self.already, 0) / elapsed
        parts = []
        if self.total:
            share = min(done / self.total, 1.0)
            if self.interactive:
                filled = int(share * BAR)
                parts.append("[" + "#" * filled + "." * (BAR - filled) + "]")
            parts.append(f"{100 * share:.1f}% of {self.total:,} {self.unit}")
            if 0 < done < self.total and rate > 0:
                parts.append(f"ETA {duration((self.total - done) / rate)}")
        else:
            parts.append(f"{done:,} {self.unit}")
        parts.append(f"{rate:,.0f} {self.unit}/s")
        if extra:
            parts.append(extra)
        return (
            f"{self.label}: " + ", ".join(parts)
            if not self.interactive
            else (f"{self.label}: " + "  ".join(parts))
        )

    def update(self, done: int, extra: str = "") -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        if self.interactive:
            self.stream.write("\r" + self.line(done, extra, now) + CLEAR)
            self._drawn = True
        else:
            self.stream.write(self.line(done, extra, now) + "\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False

    def done(self, summary: str) -> None:
        elapsed = time.monotonic() - self.started
        prefix = "\r" + CLEAR if self._drawn else ""
        self._drawn = False
        self.stream.write(f"{prefix}{self.label}: done in {duration(elapsed)} — {summary}\n")
        self.stream.flush()
