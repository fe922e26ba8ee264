"""RFC 3339 timestamps of simulated seconds, cheaply (the simulator writes one per event)."""

from __future__ import annotations

import math
import time

_HH_MM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{sec:02d}." for sec in range(60))
_MS_OFFSET = tuple(f"{ms:03d}+00:00" for ms in range(1000))
_iso_day = -(2**62)
_iso_date = ""


def iso(ts: float) -> str:
    """RFC 3339 UTC timestamp with millisecond precision, e.g. ``2026-11-23T09:15:02.123+00:00``.

    Truncates to the millisecond, so ``a <= b`` implies ``iso(a) <= iso(b)``.  Pure arithmetic
    and table look-ups with the date of the last day cached: ~0.3 us a call, about 6x cheaper
    than ``datetime.fromtimestamp(ts, UTC).isoformat()`` (measured on CPython 3.11).
    """
    global _iso_day, _iso_date
    ms = math.floor(ts * 1000.0)
    sec, milli = divmod(ms, 1000)
    day, sod = divmod(sec, 86400)
    if day != _iso_day:
        _iso_date = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        _iso_day = day
    return f"{_iso_date}{_HH_MM[sod // 60]}{_SS[sod % 60]}{_MS_OFFSET[milli]}"
