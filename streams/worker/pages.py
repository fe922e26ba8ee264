"""The worker's web pages: ``/metrics`` (built off the event loop), ``/health``, and each owned
partition's tally (``/metrics/partition/<p>``, listed for Prometheus at ``/metrics/partitions``)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from streams.core.ticket import INF
from streams.worker.health import RunningWorker

log = logging.getLogger("servicepulse.worker")


class Pages:
    """Faust web views of a running worker."""

    def __init__(self, worker: RunningWorker) -> None:
        self.worker = worker
        self._exposition: asyncio.Future[bytes] | None = None  # a scrape being built

    def exposition(self) -> bytes:
        state = self.worker.state
        state.figures.refresh()  # the counters and histograms: the tallies' sums
        return state.exporter.exposition()

    async def metrics(self, web: Any, request: Any) -> Any:
        body = await self.exposition_off_loop()
        return web.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    async def exposition_off_loop(self) -> bytes:
        """The exposition, built in a thread so a scrape does not stall consumption.

        Python code in the thread still holds the GIL in turns with the loop, but the
        loop keeps running between them: at ten scrapes a second with ~20,000 open
        tickets (bench/worker.py latency), building on the loop itself starved
        consumption (p99 1.2-1.7 s) where the thread gave 0.39-0.52 s.

        Scrapes that arrive while one is being built share it. The collectors copy what
        they iterate (the engine keeps feeding meanwhile); if a dict still changes size
        under them, the build is tried again, the last time on the loop.
        """
        pending = self._exposition
        if pending is None or pending.done():
            pending = self._exposition = asyncio.ensure_future(self._build_exposition())
        return await asyncio.shield(pending)

    async def _build_exposition(self) -> bytes:
        loop = asyncio.get_running_loop()
        for _ in range(3):
            try:
                return await loop.run_in_executor(None, self.exposition)
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                log.info("exposition built again: %s", exc)
        return self.exposition()

    async def partition(self, web: Any, request: Any, partition: str) -> Any:
        """One owned partition's counters and histograms since its first event (``tally.py``)."""
        part = self.worker.state.partitions.get(int(partition)) if partition.isdigit() else None
        if part is None:
            return web.text(f"partition {partition[:20]!r} is not served here\n", status=404)
        body = part.tally.exposition()  # small: no gauges, a few hundred series
        return web.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    async def partitions(self, web: Any, request: Any) -> Any:
        """Prometheus ``http_sd_configs``: a target per owned partition, at this worker."""
        settings = self.worker.settings
        host = request.headers.get("Host") or f"{settings.host}:{settings.port}"
        groups = [
            {
                "targets": [host],
                "labels": {
                    "__metrics_path__": f"/metrics/partition/{number}",
                    "partition": str(number),
                },
            }
            for number in sorted(self.worker.state.partitions)
        ]
        return web.json(groups)

    async def health(self, web: Any, request: Any) -> Any:
        worker = self.worker
        state = worker.state
        status = "ok" if worker.ready else "starting"
        if worker.app.should_stop:
            status = "stopping"
        body = {
            "status": status,
            "app_id": worker.settings.app_id,
            "topic": worker.settings.topic,
            "partitions": sorted(state.loaded),
            "tickets": state.ticket_count(),
            "open_tickets": state.open_count(),
            "events": state.events,
            "clock": worker.settings.clock,
            "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
            "engine_now": state.now if state.now > -INF else None,
            "uptime_seconds": round(time.time() - worker.started, 3),
        }
        return web.json(body, status=200 if status != "stopping" else 503)
