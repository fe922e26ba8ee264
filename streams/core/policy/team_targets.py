"""What the policy file asks of each team beyond the SLA clocks (contract section 2).

* ``objectives``: the share of outcomes to meet per target over a rolling window (error
  budgets and burn-rate alerts); it changes no SLA clock, only the generated rules.
* ``ola``: how long one team may hold a ticket before handing it on (hand-off targets).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from streams.core.policy.durations import parse_duration
from streams.core.policy.model import (
    DEFAULT_SLO_WINDOW,
    MAX_NAME,
    Objectives,
    Ola,
    PolicyError,
    is_team_name,
)
from streams.core.vocabulary import TARGETS

OBJECTIVE_KEYS = ("window", *TARGETS, "teams")
SLO_WINDOW_MIN = 86400.0  # 1d: the objectives' window is at least a day ...
SLO_WINDOW_MAX = 366 * 86400.0  # ... and at most a year
_SHARE_RE = re.compile(r"(\d{1,3}(?:\.\d{1,6})?)\s*%")


def parse_objectives(raw: Any, teams: tuple[str, ...] | None = None) -> Objectives:
    """``objectives: {window: 28d, first_response: 95%, teams: {billing: {...}}}``.

    A share is a percentage strictly between 0 % and 100 % (``95%``, ``99.5%``) or a fraction
    strictly between 0 and 1 (``0.95``); 100 % leaves no error budget. ``teams`` overrides
    targets per team (the window is one for the file); with a ``teams`` list, an override must
    name a listed team (or ``other``), or it would never match a series.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PolicyError("objectives must be a mapping like {window: 28d, first_response: 95%}")
    for key in raw:
        if key not in OBJECTIVE_KEYS:
            allowed = ", ".join(OBJECTIVE_KEYS)
            raise PolicyError(f"objectives: unknown key {key!r} (allowed: {allowed})")
    window = DEFAULT_SLO_WINDOW
    if "window" in raw:
        try:
            window = parse_duration(raw["window"])
        except PolicyError as exc:
            raise PolicyError(f"objectives: window: {exc}") from None
        if not SLO_WINDOW_MIN <= window <= SLO_WINDOW_MAX:
            raise PolicyError(f"objectives: window must be from 1d to 366d, not {raw['window']!r}")
    targets = _shares("objectives", {k: v for k, v in raw.items() if k in TARGETS})
    overrides: dict[str, dict[str, float]] = {}
    by_team = raw.get("teams")
    by_team = {} if by_team is None else by_team
    if not isinstance(by_team, Mapping):
        raise PolicyError(
            "objectives: teams must be a mapping like {billing: {first_response: 98%}}"
        )
    for team, body in by_team.items():
        if not is_team_name(team):
            raise PolicyError(
                f"objectives: teams: a team name is at most {MAX_NAME} printable characters, "
                f"not {team!r}"
            )
        where = f"objectives: teams: {team}"
        if teams is not None and team not in teams and team != "other":
            raise PolicyError(f"{where}: not one of the policy's teams (its series are 'other')")
        if not isinstance(body, Mapping):
            raise PolicyError(f"{where}: must be a mapping like {{first_response: 98%}}")
        for key in body:
            if key not in TARGETS:
                allowed = ", ".join(TARGETS)
                raise PolicyError(f"{where}: unknown target {key!r} (allowed: {allowed})")
        overrides[team] = _shares(where, body)
    return Objectives(window, targets, overrides)


def parse_ola(raw: Any) -> Ola:
    """``ola: {default: 8h, teams: {second-line: 1d}}``: how long one team may hold a ticket.

    Without ``default`` only the listed teams are measured; a team's target replaces the default.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PolicyError("ola must be a mapping like {default: 8h, teams: {second-line: 1d}}")
    for key in raw:
        if key not in ("default", "teams"):
            raise PolicyError(f"ola: unknown key {key!r} (allowed: default, teams)")
    default = _ola_duration("ola: default", raw["default"]) if "default" in raw else None
    by_team = raw.get("teams")
    by_team = {} if by_team is None else by_team
    if not isinstance(by_team, Mapping):
        raise PolicyError("ola: teams must be a mapping like {second-line: 1d}")
    teams: dict[str, float] = {}
    for team, value in by_team.items():
        if not is_team_name(team):
            raise PolicyError(
                f"ola: teams: a team name is at most {MAX_NAME} printable characters, not {team!r}"
            )
        teams[team] = _ola_duration(f"ola: teams: {team}", value)
    return Ola(default, teams)


def _ola_duration(where: str, value: Any) -> float:
    try:
        return parse_duration(value)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _shares(where: str, raw: Mapping[str, Any]) -> dict[str, float]:
    """target -> share, in the contract's order of targets."""
    shares = {target: _share(f"{where}: {target}", value) for target, value in raw.items()}
    return {t: shares[t] for t in TARGETS if t in shares}


def _share(where: str, value: Any) -> float:
    bad = f"{where} must be a percentage below 100%, like 95%, not {value!r}"
    if isinstance(value, str):
        match = _SHARE_RE.fullmatch(value.strip())
        if match is None:
            raise PolicyError(bad)
        share = round(float(match[1]) / 100, 8)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value >= 1:
            raise PolicyError(f"{bad} (a number is a fraction: write {value:g}% or 0.95)")
        share = float(value)
    else:
        raise PolicyError(bad)
    if share >= 1:
        raise PolicyError(f"{where} must be below 100% (100% leaves no error budget)")
    if share <= 0:
        raise PolicyError(f"{where} must be above 0%")
    return share
