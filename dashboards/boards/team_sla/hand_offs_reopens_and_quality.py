"""Team lead SLA board, row "Hand-offs, reopens and quality"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, RATIO, Target
from dashboards.targets import QA_FLOOR, QA_GOAL, REOPEN_BAD, REOPEN_WARN, SlaTargets


def resolved(w: str) -> str:
    return f"sum(increase(servicepulse_tickets_resolved_total{{{q.TEAM}}}[{w}]))"


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Hand-offs, reopens and quality"))
    d = d.with_panel(
        lib.stat_panel(
            "Hand-offs in / out (24 h)",
            "Tickets transferred to this team from others (in) and from this team to others "
            "(out) in the last 24 hours.",
            [
                Target(
                    q.transfers("to", "1d"),
                    "in",
                    instant=True,
                ),
                Target(
                    q.transfers("from", "1d"),
                    "out",
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=6,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Hand-offs per hour",
            "Transfers into and out of the team over the rolling last hour.",
            [
                Target(
                    q.transfers("to", "1h"),
                    "in",
                ),
                Target(
                    q.transfers("from", "1h"),
                    "out",
                ),
            ],
            unit=COUNT,
            w=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Reopen rate",
            f"Reopens / resolutions of the team, last 24 hours and last 7 days. Orange from "
            f"{REOPEN_WARN:.0%}, red from {REOPEN_BAD:.0%}.",
            [
                Target(
                    f"(sum(increase(servicepulse_tickets_reopened_total{{{q.TEAM}}}[{w}]))"
                    f" or 0 * {resolved(w)}) / {resolved(w)}",
                    label,
                    instant=True,
                )
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=RATIO,
            steps=lib.lower_is_better(REOPEN_WARN, REOPEN_BAD),
            decimals=1,
            w=4,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "QA score",
            f"Mean quality-assurance scorecard result (0-100) of the team, last 24 hours and "
            f"last 7 days. Goal {QA_GOAL:g}: orange below, red below {QA_FLOOR:g}.",
            [
                Target(
                    f"sum(increase(servicepulse_qa_review_score_sum{{{q.TEAM}}}[{w}]))"
                    f" / sum(increase(servicepulse_qa_review_score_count{{{q.TEAM}}}[{w}]))",
                    label,
                    instant=True,
                )
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=COUNT,
            steps=lib.higher_is_better(QA_GOAL, QA_FLOOR),
            decimals=1,
            w=4,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "QA reviews (7 days)",
            "Number of QA scorecards behind the score.",
            [
                Target(
                    f"sum(increase(servicepulse_qa_review_score_count{{{q.TEAM}}}[7d]))",
                    "reviews",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=4,
        )
    )
    return d
