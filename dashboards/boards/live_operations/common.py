"""Live operations board: constants shared by its rows."""

from __future__ import annotations

UID = "servicepulse-live-operations"

# Rates and "per hour" figures are Prometheus's: per hour of wall-clock time. The simulated
# centre of `servicepulse demo --speed N` lives N times faster than the wall clock, so these
# read N times its own pace (durations and ages are on the event clock, not multiplied). The
# exporter has no gauge of the speed, so the board cannot show it: every such panel says so.
WALL_CLOCK = (
    " Per hour of wall-clock time, as Prometheus counts: under `servicepulse demo --speed N` "
    "(default 60) the simulated centre runs N times faster, and this reads N times its pace."
)
