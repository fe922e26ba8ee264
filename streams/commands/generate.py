"""``servicepulse generate [--check]``: every file derived from the monitoring config.

Recording and alert rules, both Alertmanager configs, both checked-in Prometheus
configs, the Grafana boards and the threshold tables of the docs, from
streams/monitoring/config.py, the metric catalogue and the SLA policy set.
``--check`` writes nothing and exits 1 naming every file that differs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from streams.errors import UserError
from streams.settings import env_value

# A checkout has these; the default root is the nearest directory at or above the working
# directory that has them (the package itself may be installed anywhere).
CHECKOUT_MARKERS = ("deploy/prometheus", "docs/runbooks.md", "dashboards")


def find_root(start: Path) -> Path:
    """The ServicePulse checkout at or above ``start``; a one-line error when there is none."""
    for directory in (start, *start.parents):
        if all((directory / marker).exists() for marker in CHECKOUT_MARKERS):
            return directory
    raise UserError(f"no ServicePulse checkout at or above {start} (give --root DIR)")


def outputs(
    root: Path, runbook_url: str | None = None, policy: str | None = None
) -> dict[Path, str]:
    """Every generated file under ``root`` -> its text."""
    import dashboards
    from dashboards import reference as dashboard_reference
    from streams.core.policy import load_policies
    from streams.monitoring import alerts, docs, render
    from streams.monitoring.config import CONFIG

    config = replace(CONFIG, runbook_url=runbook_url) if runbook_url else CONFIG
    policies = load_policies(policy)
    out = {root / path: text for path, text in render.files(config, policies).items()}
    boards = dashboards.build_all(policies)
    for name, board in boards.items():
        out[root / "dashboards" / "json" / name] = dashboards.render(board)
    table = render.threshold_table(alerts.build(config, policies))
    for doc in (root / "docs" / "runbooks.md", root / "deploy" / "prometheus" / "README.md"):
        try:
            out[doc] = docs.splice(doc.read_text(encoding="utf-8"), "thresholds", table)
        except OSError as exc:
            raise UserError(f"cannot read {doc}: {exc.strerror}") from None
        except docs.MissingMarkers as exc:
            raise UserError(f"{doc}: {exc}") from None
    reference = root / "docs" / "dashboards.md"
    try:
        text = reference.read_text(encoding="utf-8")
        text = docs.splice(text, "panels", dashboard_reference.markdown(boards))
        out[reference] = docs.splice(text, "directions", dashboard_reference.directions())
    except OSError as exc:
        raise UserError(f"cannot read {reference}: {exc.strerror}") from None
    except docs.MissingMarkers as exc:
        raise UserError(f"{reference}: {exc}") from None
    return out


def generate_command(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    files = outputs(root, args.runbook_url, args.policy)
    if args.check:
        stale = []
        for path, text in files.items():
            have = path.read_text(encoding="utf-8") if path.exists() else None
            if have != text:
                stale.append(path)
        for path in stale:
            print(f"drifted: {path.relative_to(root)}", file=sys.stderr)
        if stale:
            print(
                f"servicepulse generate: {len(stale)} of {len(files)} files out of date: "
                "run `servicepulse generate`",
                file=sys.stderr,
            )
            return 1
        print(f"{len(files)} generated files are up to date")
        return 0
    for path, text in files.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror}") from None
        print(f"wrote {path.relative_to(root)}")
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "generate",
        help="write the rules, Alertmanager and Prometheus configs, boards and doc tables",
        description=(__doc__ or "").split("\n\n")[1],
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every generated file that differs",
    )
    parser.add_argument(
        "--runbook-url",
        default=env_value("SERVICEPULSE_RUNBOOK_URL"),
        metavar="URL",
        help="base URL of docs/runbooks.md for the alerts' runbook_url "
        "(default: $SERVICEPULSE_RUNBOOK_URL, else the repository path docs/runbooks.md)",
    )
    parser.add_argument(
        "--policy", metavar="P", help="SLA policy YAML for thresholds (default: the built-in set)"
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="checkout to write or check (default: the one at or above the working directory)",
    )
    parser.set_defaults(func=generate_command)
