"""Live operations board: constants shared by its rows."""

from __future__ import annotations

UID = "servicepulse-live-operations"
