"""Executive weekly board: every figure of a tile, with the direction that is better.

One table says, per figure, which way is good: the change beside each tile is green when
the figure moved that way, red when it moved the other way, blue for volumes that are
neither good nor bad, grey when nothing changed. docs/dashboards.md lists the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dashboards import lib
from dashboards import windows as w
from dashboards.lib import COUNT, RATIO, SECONDS

POINTS = "suffix:pts"  # the change of a share or a score, in percentage points / points
SAME = "#8e8e8e"  # no change: grey


class Better(Enum):
    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


@dataclass(frozen=True)
class Figure:
    title: str
    better: Better
    query: Callable[[w.Window], str]  # the figure over a window
    unit: str
    decimals: int | None = None
    change_unit: str | None = None  # default: the figure's unit
    change_scale: float = 1.0  # e.g. 100: a share's change in percentage points
    change_decimals: int | None = None
    # what the figure rests on over a window (answers, clocks, responses ...) and its name;
    # None for a count, which is its own sample
    sample: Callable[[w.Window], str] | None = None
    sample_name: str = ""

    def colours(self) -> dict[str, str]:
        """Arrow -> colour of the change."""
        up, down = {
            Better.HIGHER: (lib.GOOD, lib.BAD),
            Better.LOWER: (lib.BAD, lib.GOOD),
            Better.NEITHER: (lib.NEUTRAL, lib.NEUTRAL),
        }[self.better]
        return {w.ARROWS["up"]: up, w.ARROWS["down"]: down, w.ARROWS["same"]: SAME}

    def change_steps(self) -> tuple[lib.Step, ...]:
        """Thresholds colouring a signed change (tables): below 0, exactly 0, above 0."""
        c = self.colours()
        return ((None, c[w.ARROWS["down"]]), (0, SAME), (1e-9, c[w.ARROWS["up"]]))


Sample = tuple[Callable[[w.Window], str], str]


def _share(query: Callable[[w.Window], str], title: str, better: Better, sample: Sample) -> Figure:
    return Figure(title, better, query, RATIO, 1, POINTS, 100.0, 1, *sample)


def _time(title: str, query: Callable[[w.Window], str], sample: Sample) -> Figure:
    return Figure(title, Better.LOWER, query, SECONDS, sample=sample[0], sample_name=sample[1])


def _count(title: str, better: Better, query: Callable[[w.Window], str]) -> Figure:
    return Figure(title, better, query, COUNT, 0, change_decimals=0)


def _quantile(q: float, target: str) -> Callable[[w.Window], str]:
    return lambda win: w.quantile(q, f"servicepulse_{target}_seconds", win)


def _answers(kind: str) -> Sample:
    return (lambda win: w.answers(kind, win)), "answers"


def _observed(histogram: str, name: str) -> Sample:
    return (lambda win: w.observations(histogram, win)), name


RESOLUTIONS: Sample = ((lambda win: w.volume(win, metric="tickets_resolved")), "resolutions")
RESPONSES = _observed("servicepulse_first_response_seconds", "responses")
COMPLAINTS_RESOLVED = _observed("servicepulse_complaint_resolution_seconds", "complaints resolved")


# title of the tile -> figure; the direction column is the one place that says what is better
FIGURES: dict[str, Figure] = {
    f.title: f
    for f in (
        _share(w.csat, "CSAT", Better.HIGHER, _answers("csat")),
        Figure("NPS", Better.HIGHER, w.nps, COUNT, 0, POINTS, 1.0, 0, *_answers("nps")),
        Figure("CES", Better.HIGHER, w.ces, COUNT, 2, COUNT, 1.0, 2, *_answers("ces")),
        _share(w.fcr, "First-contact resolution", Better.HIGHER, RESOLUTIONS),
        _share(w.attainment, "SLA attainment", Better.HIGHER, (w.clocks, "clocks judged")),
        _time("First response, median", _quantile(0.5, "first_response"), RESPONSES),
        _time("First response, p90", _quantile(0.9, "first_response"), RESPONSES),
        _time(
            "Resolution, median",
            _quantile(0.5, "resolution"),
            _observed("servicepulse_resolution_seconds", "resolutions"),
        ),
        _time(
            "Resolution, p90",
            _quantile(0.9, "resolution"),
            _observed("servicepulse_resolution_seconds", "resolutions"),
        ),
        _share(
            w.abandonment, "Abandonment", Better.LOWER, (w.live_contacts, "phone and chat contacts")
        ),
        _count("Average open backlog", Better.LOWER, w.average_backlog),
        _share(w.reopen_rate, "Reopen rate", Better.LOWER, RESOLUTIONS),
        _count("Hand-offs", Better.LOWER, w.transfers),
        Figure(
            "QA score",
            Better.HIGHER,
            lambda win: w.mean("servicepulse_qa_review_score", win),
            COUNT,
            1,
            POINTS,
            1.0,
            1,
            *_observed("servicepulse_qa_review_score", "reviews"),
        ),
        _count("Contacts", Better.NEITHER, w.volume),
        _count("Complaints", Better.LOWER, lambda win: w.volume(win, metric="complaints")),
        _time(
            "Complaint resolution",
            lambda win: w.quantile(0.5, "servicepulse_complaint_resolution_seconds", win),
            COMPLAINTS_RESOLVED,
        ),
    )
}


def complaints_in_time(seconds: float) -> Figure:
    """Complaints resolved within ``seconds`` (the default policy's resolution target)."""
    return _share(
        lambda win: w.within("servicepulse_complaint_resolution_seconds", seconds, win),
        "Complaints resolved in time",
        Better.HIGHER,
        COMPLAINTS_RESOLVED,
    )
