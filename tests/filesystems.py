"""Test helper: a directory that is a filesystem of its own, like a Docker volume."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def own_filesystem(path: Path, size: str = "2g") -> Iterator[bool]:
    """``path`` as a mount point of a tmpfs, like a Docker volume (its parent on another
    filesystem); yields False, leaving a plain directory, where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(path)], capture_output=True, check=False)
