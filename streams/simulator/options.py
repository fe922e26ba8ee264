"""The simulator's staffing options of the commands that simulate (demo, simulate).

add_staffing_options(parser)
SimConfig(..., seat_safety=args.seat_safety, greet_first=args.greet_first)
"""

from __future__ import annotations

import argparse

from streams.simulator.scenarios import MAX_SEAT_SAFETY
from streams.simulator.staffing import DEFAULT_SEAT_SAFETY


def seat_safety(text: str) -> float:
    """A safety factor from 0 to ``MAX_SEAT_SAFETY``."""
    value = float(text)
    if not 0 <= value <= MAX_SEAT_SAFETY:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to {MAX_SEAT_SAFETY:g}")
    return value


def add_staffing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seat-safety",
        type=seat_safety,
        default=DEFAULT_SEAT_SAFETY,
        metavar="BETA",
        help="staffing headroom of the simulated phone and chat seats: each team gets "
        "ceil(a + BETA sqrt(a)) seats for a load of a Erlangs (the square-root rule). "
        "The default %(default)s staffs the normal hour at Erlang C's 80/20 line (84%% "
        "within 20 s for 6.75 Erlangs on 10 seats), so a forecast of it dips below by "
        "chance; 2.5 leaves headroom (13 seats, 98%%)",
    )
    parser.add_argument(
        "--greet-first",
        action="store_true",
        help="on a phone call the agent speaks before writing any internal note (by "
        "default one call in ten gets a note first, 20-60 s, which caps phone's service "
        "level within 20 s near 90%%)",
    )
