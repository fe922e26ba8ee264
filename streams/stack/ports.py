"""Free loopback ports and a readiness probe over HTTP."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from streams.errors import UserError


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Ports:
    """Hands out distinct free loopback ports, preferring a given one when it is free."""

    def __init__(self) -> None:
        self.taken: set[int] = set()

    def get(self, preferred: int | None = None, *, fixed: bool = False, what: str = "") -> int:
        if preferred and preferred not in self.taken and port_free(preferred):
            self.taken.add(preferred)
            return preferred
        if fixed:
            raise UserError(f"port {preferred} for {what} is in use on 127.0.0.1")
        for _ in range(100):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            if port not in self.taken:
                self.taken.add(port)
                return port
        raise UserError("found no free port on 127.0.0.1")  # pragma: no cover


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """``url`` answers with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False
