"""The renderer (render.py): the threshold table and the files ``generate`` writes.

Every generated file against the checked-in one: test_generate.py.
"""

from __future__ import annotations

from streams.monitoring import alerts, render


def test_threshold_table_has_one_row_per_rule_variant() -> None:
    table = render.threshold_table(alerts.build())
    rows = [line for line in table.splitlines()[2:]]
    # 22 alerts (3 of them the forecast's; OLABreach), SLABreach twice (urgent/VIP
    # and others), ErrorBudgetSlowBurn twice (6h, 3d)
    assert len(rows) == 24
    assert "| ServicePulseSLAAtRiskPilingUp | >= 5 clocks" in table
