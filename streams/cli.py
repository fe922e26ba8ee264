"""The ``servicepulse`` command: one sub-command per adapter.

Each adapter module exposes ``register(subparsers)``; it adds its
sub-command and sets ``func`` to a callable ``(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from streams.errors import UserError

# module path of each sub-command, in the order shown by --help
COMMANDS = (
    "streams.commands.replay",
    "streams.commands.demo",
    "streams.commands.serve",
    "streams.commands.ingest",
    "streams.commands.import_",
    "streams.commands.backfill",
    "streams.commands.report",
    "streams.commands.outcomes",
    "streams.commands.whatif",
    "streams.worker.command",
    "streams.commands.simulate",
    "streams.commands.topics",
    "streams.stack.command",
    "dashboards.command",
    "streams.commands.generate",
)


class OneLineErrors(argparse.ArgumentParser):
    """A user's mistake on the command line is one line on stderr (CONTRACT.md section 3).

    argparse prints the whole usage before its error; ``--help`` still shows it.
    Sub-command parsers inherit the class.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the sub-command asked for, only the modules up to the one that
    registers it are imported (the module named like it first): importing every adapter
    took a worker restart 0.8 s of CPU."""
    parser = OneLineErrors(
        prog="servicepulse",
        description="Service-quality monitoring: SLA clocks, satisfaction and backlog "
        "as Prometheus metrics.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = list(COMMANDS)
    if command:
        modules.sort(key=lambda name: command not in name.split("."))
    for name in modules:
        if command in sub.choices:
            break
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an absent adapter
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"servicepulse: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
