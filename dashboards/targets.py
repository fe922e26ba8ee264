"""Threshold values of the boards, taken from the SLA policy and the alert rules.

Duration thresholds come from the SLA policy set (the built-in default unless
``servicepulse dashboards build --policy P`` is given): a time figure turns
orange at the policy's at-risk share of the target of the catch-all policy (the
one most tickets fall under) and red at the target itself — the same moments at
which a running SLA clock becomes "at risk" and "breached". Ratio objectives come
from streams/monitoring/config.py (Objectives).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.core.policy import DEFAULT_POLICY_SET, PolicySet
from streams.monitoring.config import CONFIG

from . import lib

# The objectives are declared once, in streams/monitoring/config.py (Objectives); the alert
# lines they mirror are in its Thresholds.
_O = CONFIG.objectives
ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR = _O.attainment_objective, _O.attainment_floor
SERVICE_LEVEL_GOAL, SERVICE_LEVEL_FLOOR = _O.service_level_goal, _O.service_level_floor
ABANDON_WARN, ABANDON_BAD = _O.abandon_warn, _O.abandon_bad
CSAT_GOAL, CSAT_FLOOR = _O.csat_goal, _O.csat_floor
NPS_GOAL, NPS_FLOOR = _O.nps_goal, _O.nps_floor
CES_GOAL, CES_FLOOR = _O.ces_goal, _O.ces_floor
FCR_GOAL, FCR_FLOOR = _O.fcr_goal, _O.fcr_floor
REOPEN_WARN, REOPEN_BAD = _O.reopen_warn, _O.reopen_bad
QA_GOAL, QA_FLOOR = _O.qa_goal, _O.qa_floor
ASA_WARN, ASA_BAD = _O.asa_warn, _O.asa_bad
LAG_WARN, LAG_BAD = _O.lag_warn, _O.lag_bad
REJECT_WARN, REJECT_BAD = _O.reject_warn, _O.reject_bad
AT_RISK_BAD = _O.at_risk_bad
OLDEST_BAD = _O.oldest_bad

# Many teams: a per-team chart or bar list shows this many teams — the largest by
# the figure it ranks on — plus one line "all others"; a stat row of teams (next deadline)
# the same number of the most urgent ones. Checked at 5, 80 and 300 teams.
TOP_TEAMS = 10

TARGET_NAMES = {
    "first_response": "First response",
    "next_reply": "Next reply",
    "resolution": "Resolution",
}


# How far below an objective a figure turns red: the config's margin between the attainment
# objective and its floor (95 % -> 90 %), applied to an objective the policy file sets.
ATTAINMENT_MARGIN = ATTAINMENT_OBJECTIVE - ATTAINMENT_FLOOR


@dataclass(frozen=True)
class SlaTargets:
    """The SLA figures the boards need from a policy set."""

    at_risk: float
    default: Mapping[str, float]  # target -> seconds, of the catch-all policy
    policies: tuple[
        tuple[str, str, str, Mapping[str, float]], ...
    ]  # name, match, calendar, targets
    objectives: Mapping[str, float] = field(default_factory=dict)  # target -> share (policy)
    # the objectives' rolling window in seconds (error budgets); None: the policy sets none
    slo_window: float | None = None

    def measured(self, target: str) -> bool:
        """Whether any policy of the set measures ``target`` (a missing target is not)."""
        return any(target in targets for _n, _m, _c, targets in self.policies)

    def target_seconds(self, target: str) -> float | None:
        """The target the boards draw: the catch-all policy's, else the first policy's that
        measures it, else None (not measured)."""
        if target in self.default:
            return self.default[target]
        return next((t[target] for _n, _m, _c, t in self.policies if target in t), None)

    def time_steps(self, target: str) -> tuple[lib.Step, ...]:
        """Green / orange from the at-risk share / red from the target; grey when the policy
        does not measure ``target``."""
        seconds = self.target_seconds(target)
        if seconds is None:
            return ((None, lib.NOT_MEASURED),)
        return lib.lower_is_better(round(seconds * self.at_risk, 3), seconds)

    def oldest_steps(self) -> tuple[tuple[lib.Step, ...], str]:
        """Colours of an oldest-open-ticket age and their words: orange from the resolution
        target (when the policy measures one), red from OLDEST_BAD (the oldest-ticket alert)."""
        res = self.target_seconds("resolution")
        alert = f"red from {human(OLDEST_BAD)} (the oldest-ticket alert)"
        if res is None or res >= OLDEST_BAD:
            return ((None, lib.GOOD), (OLDEST_BAD, lib.BAD)), f"Green, {alert}."
        return (
            lib.lower_is_better(res, OLDEST_BAD),
            f"Orange from the resolution target ({human(res)}), {alert}.",
        )

    def objective(self, target: str) -> tuple[float, float]:
        """(objective, floor) of ``target``'s attainment: the policy file's objective for
        every team when it sets one, else the config's; the floor ATTAINMENT_MARGIN below."""
        goal = self.objectives.get(target)
        if goal is None:
            return ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR
        return goal, round(max(0.0, goal - ATTAINMENT_MARGIN), 6)

    def overall_objective(self) -> tuple[float, float]:
        """(objective, floor) of the attainment of every target together: the strictest
        objective of the targets the policy measures (each target must meet its own, so the
        mixed figure is held to the highest bar, as the weekly report does); the config's when
        the policy sets none."""
        goals = [self.objective(t) for t in TARGET_NAMES if t in self.objectives]
        return max(goals) if goals else (ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR)

    def overall_steps(self) -> tuple[lib.Step, ...]:
        """Colours of the attainment of every target together (:meth:`overall_objective`)."""
        return lib.higher_is_better(*self.overall_objective())

    def attainment_steps(self, target: str) -> tuple[lib.Step, ...]:
        """Colours of ``target``'s attainment: against its objective, grey if not measured."""
        if not self.measured(target):
            return ((None, lib.NOT_MEASURED),)
        goal, floor = self.objective(target)
        return lib.higher_is_better(goal, floor)

    def policy_markdown(self) -> str:
        """The policy table shown on the team lead board."""
        lines = [
            "| policy | applies to | calendar | first response | next reply | resolution |",
            "|---|---|---|---|---|---|",
        ]
        for name, match, calendar, targets in self.policies:
            cells = [
                _duration(targets[t]) if t in targets else lib.NOT_MEASURED_TEXT
                for t in TARGET_NAMES
            ]
            lines.append(f"| {name} | {match} | {calendar} | {' | '.join(cells)} |")
        lines += [
            "",
            f"The first policy that matches a ticket applies; a target a policy does not "
            f"name is not measured. A running clock is **at risk** after {self.at_risk:.0%} "
            f"of its target. Attainment objectives (orange below, red "
            f"{ATTAINMENT_MARGIN * 100:.0f} points below): "
            + ", ".join(
                f"{TARGET_NAMES[t].lower()} **{self.objective(t)[0]:.0%}**"
                for t in TARGET_NAMES
                if self.measured(t)
            )
            + ".",
        ]
        return "\n".join(lines) + "\n"


def human(seconds: float | None) -> str:
    """900 -> "15 m", 14400 -> "4 h", 259200 -> "3 d"."""
    return _duration(seconds).replace("d", " d").replace("h", " h").replace("m", " m")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def sla_targets(policies: PolicySet | None = None) -> SlaTargets:
    ps = policies or DEFAULT_POLICY_SET
    default = next((p for p in ps.policies if not p.match), ps.policies[-1])
    rows = tuple(
        (
            p.name,
            ", ".join(f"{k}={v}" for k, v in p.match.items()) or "every other ticket",
            p.calendar.name,
            dict(p.targets),
        )
        for p in ps.policies
    )
    objectives = dict(ps.objectives.targets) if ps.objectives else {}
    return SlaTargets(
        at_risk=ps.at_risk,
        default=dict(default.targets),
        policies=rows,
        objectives=objectives,
        slo_window=ps.objectives.window if ps.objectives else None,
    )
