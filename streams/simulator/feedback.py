"""What customers and reviewers say: survey scores and QA review scores.

Satisfaction latent ``s = 4.5 - 0.6 slow_first_response - 0.3 slow_resolution - 0.5 transfers
- 0.9 reopens - 0.4 complaint + N(0, 0.7)``, where ``slow_x = min(3, max(0, log2(actual /
target)))`` with targets 60 s / 1 h (first response, real time / async) and 15 min / 24 h
(resolution). csat = round(s) in 1-5; nps = round(2.5 (s - 1) + 0.5 + N(0, 1)) in 0-10;
ces = round(1 + 1.5 (s - 1) + N(0, 0.7)) in 1-7 (CES 2.0 scale: 7 = very easy).
"""

from __future__ import annotations

import math

from streams.simulator.profiles import SURVEY_KINDS, Draws
from streams.simulator.ticket import Ticket


def satisfaction(t: float, tk: Ticket) -> float:
    """The latent satisfaction at ``t`` before its noise."""
    if tk.rt:
        frt_target, res_target = 60.0, 900.0
    else:
        frt_target, res_target = 3600.0, 86400.0
    frt = max(tk.first_reply - tk.created, 1.0)
    res = max(t - tk.created, 1.0)
    slow_frt = min(3.0, max(0.0, math.log2(frt / frt_target)))
    slow_res = min(3.0, max(0.0, math.log2(res / res_target)))
    s = 4.5 - 0.6 * slow_frt - 0.3 * slow_res - 0.5 * tk.transfers - 0.9 * tk.reopens
    if tk.category == "complaint":
        s -= 0.4
    return s


def survey(t: float, tk: Ticket, draws: Draws) -> tuple[str, int]:
    """(kind, score) of a survey answered at ``t``."""
    s = satisfaction(t, tk) + draws.gauss(0.0, 0.7)
    kind = draws.pick(SURVEY_KINDS)
    if kind == "csat":
        score = min(5, max(1, round(s)))
    elif kind == "nps":
        score = min(10, max(0, round(2.5 * (s - 1.0) + 0.5 + draws.gauss(0.0, 1.0))))
    else:
        score = min(7, max(1, round(1.0 + 1.5 * (s - 1.0) + draws.gauss(0.0, 0.7))))
    return kind, int(score)


def qa_score(tk: Ticket, draws: Draws) -> float:
    """A QA review's score: ~N(84, 8) minus penalties, 0-100, one decimal."""
    score = draws.gauss(84.0, 8.0) - 6.0 * tk.transfers - 8.0 * tk.reopens
    return round(min(100.0, max(0.0, score)), 1)
