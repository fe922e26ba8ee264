"""The demo board's "next breaches" panel: the running clocks whose deadlines come next."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from streams.console.board import duration
from streams.core.forewarnings import ClockWarning


def render_next(upcoming: Sequence[ClockWarning], now: float) -> Table:
    table = Table(title="Next breaches", title_justify="left", expand=False)
    for column in ("time left", "ticket", "team", "target", "priority", "tier"):
        table.add_column(column, justify="right" if column == "time left" else "left")
    if not upcoming:
        table.add_row("-", "no running clock", "", "", "", "")
    for clock in upcoming:
        left = clock.deadline - now
        style = "bold red" if left < 300 else "yellow" if left < 1800 else ""
        table.add_row(
            Text(duration(left), style=style),
            clock.ticket_id,
            clock.team,
            clock.target.replace("_", " "),
            clock.priority,
            clock.customer_tier,
        )
    return table
