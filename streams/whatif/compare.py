"""The comparison behind ``servicepulse whatif``: one history's SLA outcomes under each policy.

Input: for each policy, the ``Outcome`` records of a replay of the same history (the latest
record per (ticket, target, cycle)). Output: a ``Comparison`` holding, per team and target,
attainment under each policy, and every (ticket, target, cycle) whose outcome under a later
policy differs from its outcome under the first.

An outcome is ``met``, ``breached`` or ``NONE`` (no outcome: the target is not measured under
that policy, or its clock stopped with none, e.g. abandoned before its deadline, or its
deadline had not passed when the history ended). A change to or from ``NONE`` is a change.

Pure: no I/O; the command reads the history and writes the results.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from streams.core.records import Outcome
from streams.core.vocabulary import TARGETS

NONE = "none"  # the outcome of a (ticket, target, cycle) that a policy gave none
Key = tuple[str, str, int]  # (ticket_id, target, cycle)
Group = tuple[str, str]  # (team, target); team "" for every team together


@dataclass(frozen=True)
class Tally:
    """Met and breached outcomes of one team and target under one policy."""

    met: int = 0
    breached: int = 0

    @property
    def measured(self) -> int:
        return self.met + self.breached

    @property
    def attainment(self) -> float | None:
        """met / (met + breached); None when nothing was measured."""
        return self.met / self.measured if self.measured else None


@dataclass(frozen=True)
class Line:
    """One team and target: a tally per policy, and the tickets that flip against the first.

    ``flipped[i]`` counts the distinct tickets with at least one cycle of this target whose
    outcome under policy ``i`` differs from the first policy's; ``flipped[0]`` is always 0.
    """

    team: str
    target: str
    tallies: tuple[Tally, ...]
    flipped: tuple[int, ...]


@dataclass(frozen=True)
class Flip:
    """One (ticket, target, cycle) whose outcome is not the same under every policy."""

    ticket_id: str
    target: str
    cycle: int
    team: str  # the team the first policy counted it under (else the first that did)
    outcomes: tuple[str, ...]  # per policy: met / breached / NONE
    # per policy: SLA-clock seconds past the target when the clock stopped, negative when early;
    # None without an outcome, and for a breach whose clock was still running when the history
    # ended: how late it will be is not known
    late: tuple[float | None, ...]


@dataclass(frozen=True)
class Comparison:
    policies: tuple[str, ...]  # the policies' names as shown, the first is the baseline
    lines: tuple[Line, ...]  # per team and target, by team then target
    overall: tuple[Line, ...]  # per target, every team together
    flips: tuple[Flip, ...]  # by ticket, target, cycle


def compare(
    policies: Sequence[str],
    outcomes: Sequence[Iterable[Outcome]],
    teams: Collection[str] = (),
) -> Comparison:
    """Compare the outcomes of one history under each policy (``outcomes[i]`` under
    ``policies[i]``); with ``teams``, only outcomes counted under those teams."""
    if len(policies) != len(outcomes):
        raise ValueError("one list of outcomes per policy")

    def wanted(row: Outcome) -> bool:
        return not teams or row.team in teams

    runs: list[dict[Key, Outcome]] = [
        {(row.ticket_id, row.target, row.cycle): row for row in rows if wanted(row)}
        for rows in outcomes
    ]
    flips = tuple(_flip(key, runs) for key in sorted(_changed_keys(runs)))
    lines = _lines(runs, flips, by_team=True)
    overall = _lines(runs, flips, by_team=False)
    return Comparison(tuple(policies), lines, overall, flips)


def _changed_keys(runs: list[dict[Key, Outcome]]) -> set[Key]:
    first = runs[0]
    every_key = set().union(*runs)
    return {
        key
        for key in every_key
        if any(_outcome(run.get(key)) != _outcome(first.get(key)) for run in runs[1:])
    }


def _outcome(row: Outcome | None) -> str:
    return NONE if row is None else row.outcome


def _flip(key: Key, runs: list[dict[Key, Outcome]]) -> Flip:
    rows = [run.get(key) for run in runs]
    team = next(row.team for row in rows if row is not None)
    return Flip(
        ticket_id=key[0],
        target=key[1],
        cycle=key[2],
        team=team,
        outcomes=tuple(_outcome(row) for row in rows),
        late=tuple(None if row is None or row.stopped is None else row.late for row in rows),
    )


def _lines(
    runs: list[dict[Key, Outcome]], flips: tuple[Flip, ...], by_team: bool
) -> tuple[Line, ...]:
    """A line per (team, target) with an outcome under some policy; per target if not by_team."""
    policies = range(len(runs))
    met: Counter[tuple[Group, int]] = Counter()
    breached: Counter[tuple[Group, int]] = Counter()
    for i, run in enumerate(runs):
        for row in run.values():
            group = (row.team if by_team else "", row.target)
            tally = met if row.outcome == "met" else breached
            tally[group, i] += 1
    flipped: defaultdict[tuple[Group, int], set[str]] = defaultdict(set)
    for flip in flips:
        group = (flip.team if by_team else "", flip.target)
        for i in policies:
            if flip.outcomes[i] != flip.outcomes[0]:
                flipped[group, i].add(flip.ticket_id)
    groups = {group for group, _ in met} | {group for group, _ in breached}
    return tuple(
        Line(
            team=team,
            target=target,
            tallies=tuple(
                Tally(met[(team, target), i], breached[(team, target), i]) for i in policies
            ),
            flipped=tuple(len(flipped[(team, target), i]) for i in policies),
        )
        for team, target in sorted(groups, key=_team_then_target)
    )


def _team_then_target(group: Group) -> tuple[str, int, str]:
    team, target = group
    order = TARGETS.index(target) if target in TARGETS else len(TARGETS)
    return (team, order, target)


def policy_names(paths: Sequence[str]) -> tuple[str, ...]:
    """Short names for the policy files as given: the file's stem (``current`` for
    ``conf/current.yaml``), the path itself when two stems are alike, and a number after a
    file given twice."""
    stems = [PurePath(path).stem or path for path in paths]
    names = [
        stem if stems.count(stem) == 1 else path for stem, path in zip(stems, paths, strict=True)
    ]
    return tuple(
        name if names[:i].count(name) == 0 else f"{name} ({names[:i].count(name) + 1})"
        for i, name in enumerate(names)
    )
