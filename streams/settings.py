"""How a setting is declared once and read from the command line or the environment.

A setting is a dataclass field made by :func:`setting`: the field carries its option
flag, its ``SERVICEPULSE_*`` environment variable, its parser, its default and its help,
and the argparse options, the environment reading and the settings value all derive
from it. The option wins over the variable, the variable over the default; an empty
variable counts as unset. Options that are not part of a settings dataclass (repeatable
ones, secrets read from files) read their variable with :func:`env_value`, so that every
``SERVICEPULSE_*`` variable is read the same way.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

from streams.errors import UserError

T = TypeVar("T")


@dataclass(frozen=True)
class Option:
    """How one setting is given: flag ("" for a secret read from the environment only),
    environment variable, parser of the text, help and metavar."""

    flag: str
    env: str
    parse: Callable[[str], Any]
    help: str
    metavar: str | None = None


def setting(
    flag: str,
    env: str,
    parse: Callable[[str], Any],
    default: Any,
    help: str,
    metavar: str | None = None,
) -> Any:
    """A dataclass field that is also a command-line option and an environment variable."""
    option = Option(flag, env, parse, help, metavar)
    return field(default=default, metadata={"option": option})


def declared(cls: type) -> dict[str, tuple[Option, Any]]:
    """Each setting of the dataclass ``cls``: name -> (option, default)."""
    out = {}
    for f in fields(cls):
        option = f.metadata.get("option")
        if option is not None:
            out[f.name] = (option, None if f.default is MISSING else f.default)
    return out


def env_value(env: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's text, None when it is unset or empty."""
    environ = os.environ if environ is None else environ
    return environ.get(env) or None


def env_list(env: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """The comma-separated items of the variable, stripped, empty ones dropped."""
    text = env_value(env, environ) or ""
    return [item.strip() for item in text.split(",") if item.strip()]


def add_options(parser: argparse.ArgumentParser, cls: type, names: tuple[str, ...]) -> None:
    """Add the settings ``names`` of ``cls`` to ``parser``; values are resolved later, so
    that an option not given falls back to its variable (see :func:`resolve`)."""
    settings = declared(cls)
    for name in names:
        option, default = settings[name]
        if not option.flag:  # environment only (secrets)
            continue
        shown = default if default is not None else "none"
        parser.add_argument(
            option.flag,
            dest=name,
            default=None,
            metavar=option.metavar,
            help=f"{option.help} [env {option.env}; default {shown}]",
        )


def resolve(
    cls: type[T],
    args: argparse.Namespace | None,
    names: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> T:
    """``cls`` from the options (first), the ``SERVICEPULSE_*`` variables, then defaults;
    a value its parser refuses is a one-line UserError naming the option or variable."""
    settings = declared(cls)
    values: dict[str, Any] = {}
    for name in names:
        option, _ = settings[name]
        text = getattr(args, name, None) if args is not None else None
        source = option.flag
        if text is None:
            text = env_value(option.env, environ)
            source = option.env
        if text is None:
            continue
        try:
            values[name] = option.parse(str(text))
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise UserError(f"{source}: invalid value {text!r} ({exc})") from None
    return cls(**values)
