"""The policy file on disk -> :class:`PolicySet`, and the built-in policy set.

* Limits (docs/limits.md): a file of at most 1 MiB, read as UTF-8 YAML with the limits of
  :mod:`streams.core.policy.safe_yaml` (nesting, alias expansion, duplicate keys).
* Every error is one line: :func:`load_policy_file` prefixes the path and cuts the line at
  300 characters (a value quoted in an error may be huge).
* Without ``--policy`` the built-in :data:`DEFAULT_POLICY_SET` applies.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from streams.core.policy.model import PolicyError, PolicySet
from streams.core.policy.parse import parse_policy
from streams.core.policy.safe_yaml import load_yaml

MAX_FILE_BYTES = 1024 * 1024
MAX_ERROR_CHARS = 300


def load_policy_file(path: str | Path) -> PolicySet:
    """Read and validate a policy file; every problem is a PolicyError naming the path."""
    where = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise PolicyError(f"{where}: larger than {MAX_FILE_BYTES // 1024} KiB")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{where}: policy file not found") from None
    except IsADirectoryError:
        raise PolicyError(f"{where}: is a directory, not a policy file") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{where}: not a UTF-8 text file") from None
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read policy file: {exc.strerror or exc}") from None
    try:
        doc = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise PolicyError(f"{where}: invalid YAML{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(_clip(f"{where}: invalid YAML: {' '.join(str(exc).split())}")) from None
    except RecursionError:
        raise PolicyError(f"{where}: invalid YAML: nested too deeply") from None
    if doc is None:
        raise PolicyError(f"{where}: the policy file is empty")
    try:
        return parse_policy(doc)
    except PolicyError as exc:
        raise PolicyError(_clip(f"{where}: {exc}")) from None


def _clip(message: str) -> str:
    """One line of at most ``MAX_ERROR_CHARS`` (a value quoted in an error may be huge)."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."


# ---- the built-in default ---------------------------------------------------------------------

DEFAULT_POLICY_YAML = """\
# The built-in policy set, used when no --policy is given.
calendars:
  business-hours:            # Mon-Fri 09:00-18:00 UTC, no holidays
    timezone: UTC
    days: [mon, tue, wed, thu, fri]
    hours: ["09:00", "18:00"]
at_risk: 0.8
policies:
  - name: vip-urgent
    match: {customer_tier: vip, priority: urgent}
    calendar: always
    targets: {first_response: 15m, next_reply: 30m, resolution: 4h}
  - name: urgent
    match: {priority: urgent}
    calendar: always
    targets: {first_response: 1h, next_reply: 2h, resolution: 8h}
  - name: default
    match: {}
    calendar: business-hours
    targets: {first_response: 4h, next_reply: 8h, resolution: 3d}
objectives:                  # share met over 28 days: error budgets and burn-rate alerts
  window: 28d
  first_response: 95%
  resolution: 90%
  teams: {billing: {first_response: 98%}}
"""

DEFAULT_POLICY_SET: PolicySet = parse_policy(load_yaml(DEFAULT_POLICY_YAML))


def load_policies(path: str | Path | None) -> PolicySet:
    """The policy file given, or the built-in default when no path is given."""
    return load_policy_file(path) if path else DEFAULT_POLICY_SET
