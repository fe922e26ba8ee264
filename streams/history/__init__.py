"""A history of contract events as Prometheus TSDB blocks (``servicepulse backfill``).

``sampler``: the engine on the event clock, sampled every step into OpenMetrics chunks;
``gauges``: the gauges at a sampled instant, as plain rows; ``blocks``: promtool turning
a chunk into a block; ``rules``: the recording rules over the new blocks; ``source``: the
history file; ``backfill``: all of it for one history. docs/history.md.
"""
