"""The demo's terminal board: its "SLA met" share counts outcomes, not series primed at 0.

The regression: outcome series exposed at 0 were counted by the board as one met and one
breached each, so a team with 7 met and 0 breached showed 64 %.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from streams.console.board import BoardSums, Tee, render
from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from tests.support import at, created, reply


def cells(table: Table, team: str) -> dict[str, str]:
    """The row of ``team`` as {column header: cell text}, read from the drawn table."""
    console = Console(width=250, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    lines = console.export_text().splitlines()
    split = [[c.strip() for c in line.split("┃" if "┃" in line else "│")[1:-1]] for line in lines]
    header = next(row for row in split if row and row[0] == "team")
    row = next(row for row in split if row and row[0] == team)
    return dict(zip(header, row, strict=True))


def board_after(*events: dict) -> dict[str, str]:
    sums = BoardSums()
    engine = Engine(DEFAULT_POLICY_SET, Tee(Exporter(), sums))
    for raw in events:
        assert engine.ingest(raw).reason is None
    now = at("2026-11-23 09:30")
    return cells(render(sums, engine.gauges(now), now, "demo"), "billing")


def test_a_team_with_seven_met_and_none_breached_shows_100_percent() -> None:
    # urgent tickets (the built-in "urgent" policy: first response 1 h), three tiers of
    # label sets, each answered in 5 minutes: 7 first responses met, nothing breached
    events = []
    for i in range(7):
        tier = "vip" if i < 2 else "standard"
        channel = "phone" if i % 2 else "chat"
        events.append(
            created(
                f"t{i}", "2026-11-23 09:00", priority="urgent", customer_tier=tier, channel=channel
            )
        )
        events.append(reply(f"t{i}", "2026-11-23 09:05"))
    row = board_after(*events)
    assert row["SLA met"] == "100%"
    assert row["created"] == "7"


def test_three_met_and_one_breached_show_75_percent() -> None:
    # vip-urgent: first response 15 min; u3 is answered after 20 min (breached on arrival)
    vip = {"priority": "urgent", "customer_tier": "vip"}
    row = board_after(
        *(created(f"u{i}", "2026-11-23 09:00", **vip) for i in range(4)),
        *(reply(f"u{i}", "2026-11-23 09:10") for i in range(3)),
        reply("u3", "2026-11-23 09:20"),
    )
    assert row["SLA met"] == "75%"


def test_facts_at_zero_change_no_figure_of_the_tally() -> None:
    sums = BoardSums()
    labels = ("billing", "chat", "urgent", "vip", "vip-urgent", "first_response")
    for outcome in ("met", "breached"):
        sums.inc("sla_outcomes", (*labels, outcome), 0.0)
    sums.inc("sla_outcomes", (*labels, "met"))
    team = sums.teams["billing"]
    assert (team.met, team.breached) == (1, 0)
    sums.inc("events_processed", ("ticket.created",), 0.0)
    assert sums.processed == 0
