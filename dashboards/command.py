"""``servicepulse dashboards build`` and ``servicepulse dashboards push``."""

from __future__ import annotations

import argparse
import difflib
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from streams.errors import UserError

DEFAULT_GRAFANA_URL = "http://localhost:3000"


def _policies(path: str | None) -> Any:
    from streams.core.policy import load_policies

    return load_policies(path)


def build_command(args: argparse.Namespace) -> int:
    from . import JSON_DIR, build_all, render

    out = Path(args.out) if args.out else JSON_DIR
    boards = build_all(_policies(args.policy))
    if args.check:
        stale = []
        for name, board in boards.items():
            path = out / name
            want = render(board)
            have = path.read_text(encoding="utf-8") if path.exists() else ""
            if have != want:
                stale.append(name)
                diff = difflib.unified_diff(
                    have.splitlines(keepends=True),
                    want.splitlines(keepends=True),
                    f"{path} (checked in)",
                    f"{path} (generated)",
                    n=1,
                )
                sys.stdout.writelines(list(diff)[:60])
        if stale:
            raise UserError(
                f"{', '.join(stale)} out of date in {out}: run `servicepulse dashboards build`"
            )
        print(f"{len(boards)} boards in {out} are up to date")
        return 0
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, board in boards.items():
            (out / name).write_text(render(board), encoding="utf-8")
            print(f"wrote {out / name}")
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from None
    return 0


def push_command(args: argparse.Namespace) -> int:
    from .push import Pusher, data_sources, load_boards

    credential: str | tuple[str, str]
    token = args.token or (None if args.user else os.environ.get("GRAFANA_TOKEN"))
    if token and args.user:
        raise UserError("give either --token or --user, not both")
    if token:
        credential = token
    elif args.user:
        password = args.password or os.environ.get("GRAFANA_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise UserError("--user needs --password or GRAFANA_PASSWORD (no terminal to ask)")
            password = getpass.getpass(f"Grafana password for {args.user}: ")
        credential = (args.user, password)
    else:
        raise UserError("give --token (or GRAFANA_TOKEN) or --user with --password")
    if args.policy and args.dir:
        raise UserError("give either --policy (boards built from it) or --dir, not both")
    if args.policy:
        from . import build_all

        boards = build_all(_policies(args.policy))
    else:
        boards = load_boards(Path(args.dir)) if args.dir else load_boards()
    pusher = Pusher(args.url, credential, timeout=args.timeout)
    pusher.push(data_sources(args.prometheus_url, args.alertmanager_url), boards)
    print(f"pushed {len(boards)} boards to folder ServicePulse")
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "dashboards",
        help="build the Grafana boards (JSON) or push them to a Grafana",
        description="The Grafana boards of ServicePulse, as code (dashboards/*.py) and "
        "checked-in JSON (dashboards/json).",
    )
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
    dsub = parser.add_subparsers(dest="dashboards_command", metavar="ACTION")

    build = dsub.add_parser(
        "build",
        help="regenerate dashboards/json from the code",
        description="Regenerate the board JSON from the code. Thresholds of time figures "
        "follow the SLA policy (the built-in one unless --policy is given).",
    )
    build.add_argument("--out", metavar="DIR", help="directory to write (default: dashboards/json)")
    build.add_argument("--policy", metavar="P", help="SLA policy YAML for the thresholds")
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit non-zero when the JSON in DIR differs from the code",
    )
    build.set_defaults(func=build_command)

    push = dsub.add_parser(
        "push",
        help="create/update data sources, folder and boards in a Grafana (HTTP API)",
        description="Create or update the Prometheus and Alertmanager data sources (fixed "
        "uids), the ServicePulse folder and the boards through Grafana's HTTP API. "
        "Idempotent: what already matches is left alone. Data sources need an Admin "
        "account or token; folders and boards an Editor.",
    )
    push.add_argument(
        "--url",
        default=os.environ.get("GRAFANA_URL", DEFAULT_GRAFANA_URL),
        help="Grafana base URL (default: $GRAFANA_URL or %(default)s)",
    )
    push.add_argument("--token", help="service account token or API key (default: $GRAFANA_TOKEN)")
    push.add_argument("--user", help="basic-auth user (with --password or $GRAFANA_PASSWORD)")
    push.add_argument("--password", help="basic-auth password (asked when missing on a terminal)")
    push.add_argument(
        "--prometheus-url",
        default="http://localhost:9090",
        help="Prometheus URL as the Grafana server reaches it (default %(default)s)",
    )
    push.add_argument(
        "--alertmanager-url",
        default="http://localhost:9093",
        help="Alertmanager URL as the Grafana server reaches it (default %(default)s)",
    )
    push.add_argument("--dir", metavar="DIR", help="board JSON to push (default: dashboards/json)")
    push.add_argument(
        "--policy",
        metavar="P",
        help="build the boards from this SLA policy YAML (target lines, thresholds, the policy "
        "panel) instead of pushing the checked-in JSON",
    )
    push.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per HTTP request (default %(default)s)"
    )
    push.set_defaults(func=push_command)
