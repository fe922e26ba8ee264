#!/usr/bin/env python3
"""Write Grafana's admin password to a file, never to the terminal or a log.

    python3 deploy/grafana/admin_password.py FILE

The password is $GRAFANA_ADMIN_PASSWORD when set; otherwise the one already in
FILE is kept, or a new random one (32 URL-safe characters) is generated. FILE
is then read by Grafana (``GF_SECURITY_ADMIN_PASSWORD__FILE``). Only the file's
path is printed; read the password with ``cat FILE`` (compose:
``docker compose exec grafana cat /run/servicepulse/grafana-admin-password``).
Standard library only (runs in the app image and on the host).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path


def ensure_password(path: Path, given: str | None) -> str:
    """The password now in ``path``: ``given``, else the existing one, else a new one."""
    if given:
        password = given
    elif path.is_file() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    return password


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: admin_password.py FILE", file=sys.stderr)
        return 2
    path = Path(argv[0])
    ensure_password(path, os.environ.get("GRAFANA_ADMIN_PASSWORD"))
    # Grafana's container user (472) must read it; the file lives in a volume only Grafana mounts
    mode = os.environ.get("ADMIN_PASSWORD_MODE")
    if mode:
        path.chmod(int(mode, 8))
    print(f"Grafana admin password in {path} (not shown)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
