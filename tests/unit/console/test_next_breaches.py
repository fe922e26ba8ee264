"""The demo board's next-breaches panel lists the soonest running deadlines, soonest first."""

from __future__ import annotations

from rich.console import Console

from streams.console.next_breaches import render_next
from streams.core.forewarnings import upcoming
from tests.support import EngineFactory, at, created, event, reply


def test_the_panel_lists_the_next_deadlines_soonest_first_without_stopped_or_paused_clocks(
    engine_factory: EngineFactory,
) -> None:
    engine, _ = engine_factory(first_response="1h", resolution="8h")
    for raw in (
        created("a", "2026-11-23 09:00"),  # first response due 10:00
        created("b", "2026-11-23 09:20"),  # due 10:20
        created("c", "2026-11-23 08:00"),  # due 09:00: breached, not "next"
        created("d", "2026-11-23 09:10"),
        reply("d", "2026-11-23 09:15"),  # answered: only its resolution (17:10) runs
        created("e", "2026-11-23 09:05"),
        event("ticket.status", "e", "2026-11-23 09:06", status="pending"),  # paused
    ):
        assert engine.ingest(raw, event_clock=True).reason is None
    now = at("2026-11-23 09:30")
    engine.advance(now)
    soon = upcoming(engine.open.values(), now, limit=4)
    assert [(w.ticket_id, w.target, w.deadline - now) for w in soon] == [
        ("a", "first_response", 1800.0),
        ("b", "first_response", 3000.0),
        ("c", "resolution", at("2026-11-23 16:00") - now),
        ("a", "resolution", at("2026-11-23 17:00") - now),
    ]
    console = Console(width=100, record=True)
    console.print(render_next(soon, now))
    text = console.export_text()
    assert text.index(" a ") < text.index(" b ") and "30m" in text and "50m" in text
