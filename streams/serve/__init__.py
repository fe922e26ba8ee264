"""The embedded deployment (``servicepulse serve``): journal-backed store and engine state."""
