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
from dataclasses import dataclass

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

TARGET_NAMES = {
    "first_response": "First response",
    "next_reply": "Next reply",
    "resolution": "Resolution",
}


@dataclass(frozen=True)
class SlaTargets:
    """The SLA figures the boards need from a policy set."""

    at_risk: float
    default: Mapping[str, float]  # target -> seconds, of the catch-all policy
    policies: tuple[
        tuple[str, str, str, Mapping[str, float]], ...
    ]  # name, match, calendar, targets

    def time_steps(self, target: str) -> tuple[lib.Step, ...]:
        """Green / orange from the at-risk share / red from the target (catch-all policy)."""
        seconds = self.default.get(target)
        if seconds is None:
            return lib.neutral()
        return lib.lower_is_better(round(seconds * self.at_risk, 3), seconds)

    def policy_markdown(self) -> str:
        """The policy table shown on the team lead board."""
        lines = [
            "| policy | applies to | calendar | first response | next reply | resolution |",
            "|---|---|---|---|---|---|",
        ]
        for name, match, calendar, targets in self.policies:
            cells = [_duration(targets.get(t)) for t in TARGET_NAMES]
            lines.append(f"| {name} | {match} | {calendar} | {' | '.join(cells)} |")
        lines += [
            "",
            f"The first policy that matches a ticket applies. A running clock is **at risk** "
            f"after {self.at_risk:.0%} of its target. Attainment objective: "
            f"**{ATTAINMENT_OBJECTIVE:.0%}** of clocks met (orange below, red below "
            f"{ATTAINMENT_FLOOR:.0%}).",
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
    return SlaTargets(at_risk=ps.at_risk, default=dict(default.targets), policies=rows)
