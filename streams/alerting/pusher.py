"""Push ticket-level alerts to Alertmanager's v2 API from a background thread.

``AlertPusher.update`` is called from the processing loop with the clock
warnings of the moment; it only compares them with the last announced set
and hands a batch to the sender thread, so a slow or absent Alertmanager
never blocks event processing. New and changed alerts go at once, every
active alert again each ``resend`` seconds (its ``endsAt`` pushed forward),
and an alert whose clock stopped or paused goes once more with ``endsAt`` =
now, which resolves it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from streams.alerting.tickets import Key, key_of, to_alert
from streams.core.forewarnings import ClockWarning

log = logging.getLogger("servicepulse.alerting")

RESEND = 60.0  # seconds between re-sends of active alerts (Alertmanager's resolve_timeout is 5m)
CHUNK = 500  # alerts per POST: Alertmanager validates and stores each request as a whole

# an alert to send, built in the sender thread: (warning, engine now, wall_of, endsAt)
Pending = tuple[ClockWarning, float, Callable[[float], float], float]


class AlertPusher:
    def __init__(
        self,
        urls: Sequence[str],
        ticket_url: str | None = None,
        resend: float = RESEND,
        timeout: float = 5.0,
    ) -> None:
        self.urls = [url.rstrip("/") + "/api/v2/alerts" for url in urls]
        self.ticket_url = ticket_url
        self.resend = resend
        self.timeout = timeout
        self.active: dict[Key, ClockWarning] = {}
        self._last_full = 0.0
        self._pending: dict[Key, Pending] = {}
        self._busy = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.sent = 0  # alerts delivered (counted once per Alertmanager)
        self.errors = 0  # failed POSTs
        self._thread = threading.Thread(target=self._run, name="alert-pusher", daemon=True)
        self._thread.start()

    def update(
        self,
        warnings: Sequence[ClockWarning],
        now: float,
        wall_now: float,
        wall_of: Callable[[float], float] | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> int:
        """Announce ``warnings`` (engine time ``now``); returns the alerts queued.

        ``known(ticket_id)`` False: the ticket left this process (its partition moved to
        another worker, which announces it now): its alerts are forgotten, not resolved.
        """
        wall = wall_of or (lambda t: t)
        current = {key_of(w): w for w in warnings}
        full = wall_now - self._last_full >= self.resend
        if full:
            self._last_full = wall_now
        ends = wall_now + 4 * self.resend
        batch: dict[Key, Pending] = {}
        for key, warning in current.items():
            if full or key not in self.active:
                batch[key] = (warning, now, wall, ends)
        for key, gone in self.active.items():
            if key not in current and (known is None or known(key[0])):
                batch[key] = (gone, now, wall, wall_now)  # endsAt now: resolved
        self.active = current
        if batch:
            with self._lock:
                self._pending.update(batch)
            self._wake.set()
        return len(batch)

    def close(self, flush: float = 5.0) -> None:
        """Send what is pending (up to ``flush`` seconds), then stop the thread."""
        deadline = time.monotonic() + flush
        while (self._pending or self._busy) and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, {}
                self._busy = bool(batch)
            if not batch:
                continue
            alerts = [
                to_alert(w, now, wall, ends, self.ticket_url)
                for w, now, wall, ends in batch.values()
            ]
            ok = all(self._post(alerts[i : i + CHUNK]) for i in range(0, len(alerts), CHUNK))
            self._busy = False
            if ok:
                backoff = 0.5
                continue
            with self._lock:  # keep what failed unless a newer state replaced it
                for key, alert in batch.items():
                    self._pending.setdefault(key, alert)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)

    def _post(self, alerts: list[dict[str, Any]]) -> bool:
        body = json.dumps(alerts).encode()
        ok = True
        for url in self.urls:
            request = urllib.request.Request(
                url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                self.sent += len(alerts)
            except (urllib.error.URLError, OSError) as exc:
                self.errors += 1
                ok = False
                log.warning("cannot push %d alerts to %s: %s", len(alerts), url, exc)
        return ok
