"""A comparison as text: the side-by-side table printed on stdout, and the flipped-ticket rows
of the CSV file. Pure: returns strings and rows, the command prints and writes them."""

from __future__ import annotations

from streams.whatif.compare import Comparison, Line, Tally

EVERY_TEAM = "all teams"  # the team column of the lines that sum every team


def attainment_text(tally: Tally) -> str:
    """``66.7% (2/3)``: attainment with met and measured; ``–`` when nothing was measured."""
    if tally.attainment is None:
        return "–"
    return f"{100 * tally.attainment:.1f}% ({tally.met}/{tally.measured})"


def side_by_side(comparison: Comparison) -> str:
    """Per team and target, attainment under each policy and the tickets flipped by each
    later policy; then every team together; then what ``flipped`` means."""
    first, *others = comparison.policies
    head = ["team", "target", *comparison.policies, *(f"flipped {name}" for name in others)]
    rows = [_row(line.team, line) for line in comparison.lines]
    rows += [_row(EVERY_TEAM, line) for line in comparison.overall]
    if not rows:
        return "no SLA outcome under any policy\n"
    widths = [max(len(row[col]) for row in [head, *rows]) for col in range(len(head))]
    text = "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in [head, *rows]
    )
    return (
        text
        + f"flipped P: tickets whose outcome (met / breached / none) under P is not under {first}\n"
    )


def _row(team: str, line: Line) -> list[str]:
    return [
        team,
        line.target,
        *(attainment_text(tally) for tally in line.tallies),
        *(str(n) for n in line.flipped[1:]),
    ]


def flipped_rows(comparison: Comparison) -> list[list[str]]:
    """The CSV's rows, header first: one per flipped (ticket, target, cycle), with its outcome
    and how late (SLA-clock seconds past the target, negative when early) under each policy."""
    names = comparison.policies
    header = [
        "ticket_id",
        "target",
        "cycle",
        "team",
        *(f"outcome_{name}" for name in names),
        *(f"late_seconds_{name}" for name in names),
    ]
    return [header] + [
        [
            flip.ticket_id,
            flip.target,
            str(flip.cycle),
            flip.team,
            *flip.outcomes,
            *("" if late is None else str(round(late)) for late in flip.late),
        ]
        for flip in comparison.flips
    ]
