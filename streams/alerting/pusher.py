"""Push ticket-level alerts to Alertmanager's v2 API from a background thread.

``AlertPusher.update`` is called from the processing loop with the clock
warnings of the moment; it only compares them with the last announced set
and hands a batch to the sender thread, so a slow or absent Alertmanager
never blocks event processing. New and changed alerts go at once, every
active alert again each ``resend`` seconds (its ``endsAt`` pushed forward),
and an alert whose clock stopped or paused goes once more with ``endsAt`` =
now, which resolves it.

Failures: a connection error, a timeout, a ``5xx`` (or ``408``/``429``) leaves the
alerts to be sent again, with a backoff of up to 30 s. A ``400``, ``413`` or ``422``
is Alertmanager refusing the content, which no retry changes: the chunk is split in
halves and each half sent again, down to the single alerts refused, which are
dropped (``dropped`` counts them, one log line each); the other alerts of the chunk
and the later chunks still go. One bad alert must not silence every other ticket.
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

from streams.alerting.tickets import Key, key_of, shown, to_alert
from streams.core.forewarnings import ClockWarning

log = logging.getLogger("servicepulse.alerting")

RESEND = 60.0  # seconds between re-sends of active alerts (Alertmanager's resolve_timeout is 5m)
CHUNK = 500  # alerts per POST: Alertmanager validates and stores each request as a whole

REFUSED = frozenset({400, 413, 422})  # the content is refused: sending it again cannot help

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
        self.dropped = 0  # alerts an Alertmanager refused (400/413/422), never sent again
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
            keyed = [
                (key, to_alert(w, now, wall, ends, self.ticket_url))
                for key, (w, now, wall, ends) in batch.items()
            ]
            failed = self._deliver(keyed)
            self._busy = False
            if not failed:
                backoff = 0.5
                continue
            with self._lock:  # keep what failed unless a newer state replaced it
                for key in failed:
                    self._pending.setdefault(key, batch[key])
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)

    def _deliver(self, keyed: list[tuple[Key, dict[str, Any]]]) -> set[Key]:
        """Send ``keyed`` alerts to every Alertmanager in chunks; the keys to send again.
        An Alertmanager that fails (unreachable, ``5xx``) is not tried again this round:
        its remaining chunks wait for the next, after the backoff."""
        failed: set[Key] = set()
        for url in self.urls:
            for start in range(0, len(keyed), CHUNK):
                chunk = keyed[start : start + CHUNK]
                retry = self._send(url, chunk)
                failed.update(key for key, _ in retry)
                if retry and len(retry) == len(chunk):
                    failed.update(key for key, _ in keyed[start + CHUNK :])
                    break
        return failed

    def _send(
        self, url: str, chunk: list[tuple[Key, dict[str, Any]]]
    ) -> list[tuple[Key, dict[str, Any]]]:
        """POST ``chunk`` to ``url``; what is to be sent again. A refused chunk is split
        until the refused alerts are alone, and those are dropped."""
        status, reason = self._post(url, [alert for _, alert in chunk])
        if 200 <= status < 300:
            self.sent += len(chunk)
            return []
        if status not in REFUSED:
            return chunk
        if len(chunk) > 1:
            half = len(chunk) // 2
            return self._send(url, chunk[:half]) + self._send(url, chunk[half:])
        self.dropped += 1
        log.warning(
            "%s refused the alert %s of ticket %s (%d: %s): dropped",
            url,
            chunk[0][1]["labels"].get("alertname", "?"),
            shown(chunk[0][0][0])[:100],
            status,
            reason,
        )
        return []

    def _post(self, url: str, alerts: list[dict[str, Any]]) -> tuple[int, str]:
        """(the HTTP status, or 0 when there was no answer; the reason of a failure, one
        line). A failure other than a refusal is counted in ``errors`` and logged."""
        request = urllib.request.Request(
            url,
            data=json.dumps(alerts).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
                return int(response.status), ""
        except urllib.error.HTTPError as exc:
            status, reason = exc.code, _first_line(exc)
        except (urllib.error.URLError, OSError) as exc:
            status, reason = 0, str(exc)
        if status not in REFUSED:
            self.errors += 1
            log.warning("cannot push %d alerts to %s: %s", len(alerts), url, reason)
        return status, reason


def _first_line(error: urllib.error.HTTPError) -> str:
    """The answer's body, one line of at most 200 characters (Alertmanager says why)."""
    try:
        text = error.read(4096).decode("utf-8", "replace")
    except OSError:
        text = ""
    text = " ".join(text.split()) or str(error.reason)
    return shown(text)[:200]
