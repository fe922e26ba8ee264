#!/usr/bin/env python3
"""The compose stack's history: backfill a JSONL file into Prometheus's data volume, once.

    python deploy/stack/load_history.py FILE --data /prometheus [--step 60s]
        [--rules /etc/prometheus/rules/recording.yml] [--owner 65534:65534]

Run by the one-shot `backfill` service of docker-compose.yml (profile `history`) before
Prometheus starts: what `servicepulse backfill FILE --out DATA/servicepulse-backfill` does
(the raw series and the recording rules' series as TSDB blocks, staged on the data volume
itself), then the new blocks are moved up into DATA and handed to Prometheus's
user (`nobody`, 65534, in prom/prometheus), which compacts and deletes them later. A marker
in DATA (`servicepulse-history.json`: the file's name, size and SHA-256) makes the next
`docker compose up` skip a history already loaded instead of backfilling it again; a
different file is backfilled (blocks over the same span merge with the old ones).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from streams.commands.backfill import backfill_events, history_lines, parse_step
from streams.core.policy import load_policies
from streams.errors import UserError

MARKER = "servicepulse-history.json"
STAGING = "servicepulse-backfill"  # not a block name (a ULID): Prometheus ignores it


def fingerprint(path: Path) -> dict[str, object]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"file": path.name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def already_loaded(data: Path, mark: dict[str, object]) -> bool:
    try:
        done = json.loads((data / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(done, dict) and done.get("sha256") == mark["sha256"]


def hand_over(data: Path, before: set[str], owner: tuple[int, int] | None) -> int:
    """chown the entries that the backfill added to ``data`` (recursively); their count."""
    added = [p for p in data.iterdir() if p.name not in before]
    if owner is None or os.geteuid() != 0:
        return len(added)
    uid, gid = owner
    os.chown(data, uid, gid)
    for entry in added:
        os.chown(entry, uid, gid)
        for root, dirs, files in os.walk(entry):
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, gid)
    return len(added)


def parse_owner(text: str) -> tuple[int, int]:
    uid, _, gid = text.partition(":")
    return int(uid), int(gid or uid)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("file", help="the history, JSONL, one contract event per line")
    parser.add_argument("--data", required=True, help="Prometheus's data directory")
    parser.add_argument("--step", type=parse_step, default=60.0, help="sampling step (60s)")
    parser.add_argument("--rules", help="recording rules to backfill too (default: none)")
    parser.add_argument(
        "--policy",
        default=os.environ.get("SERVICEPULSE_POLICY") or None,
        help="SLA policy YAML (default: $SERVICEPULSE_POLICY, the workers' one, else built-in)",
    )
    parser.add_argument(
        "--owner", type=parse_owner, default=None, help="UID:GID for the new blocks (as root)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    history, data = Path(args.file), Path(args.data)
    try:
        if not history.is_file():
            raise UserError(f"no history at {history} (set SERVICEPULSE_HISTORY to a JSONL file)")
        mark = fingerprint(history)
        if already_loaded(data, mark):
            print(f"history: {history.name} already loaded into {data}", file=sys.stderr)
            return 0
        before = set(os.listdir(data)) if data.is_dir() else set()
        started = time.monotonic()
        print(f"history: backfilling {history.name} into {data} ...", file=sys.stderr, flush=True)
        # staged inside DATA: its work files and the rules pass's hard links stay on the
        # volume's filesystem, and the rules are evaluated over the new blocks alone
        staging = data / STAGING
        for leftover in (staging, Path(f"{staging}.work")):  # from a run that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        result = backfill_events(
            history_lines(str(history)),
            load_policies(args.policy),
            staging,
            step=args.step,
            show_progress=True,
            rules=args.rules,
        )
        for block in sorted(staging.iterdir()):
            if (block / "meta.json").is_file():
                os.replace(block, data / block.name)  # same filesystem: atomic
        shutil.rmtree(staging)
        added = hand_over(data, before, args.owner)
        (data / MARKER).write_text(json.dumps(mark) + "\n", encoding="utf-8")
        if args.owner is not None and os.geteuid() == 0:
            os.chown(data / MARKER, *args.owner)
    except UserError as exc:
        print(f"history: {exc}", file=sys.stderr)
        return 2
    print(
        f"history: {result.events:,} events ({result.rejected:,} rejected), "
        f"{result.samples:,} samples, {added} blocks in {data}, "
        f"in {time.monotonic() - started:.0f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
