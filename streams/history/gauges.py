"""The exporter's gauges at a sampled instant, as plain rows for the backfill's writer.

``BacklogCollector.collect`` builds prometheus-client families, one object per sample:
at every step of a month that is most of a backfill's time. ``SampledGauges`` gives the
same families and values (the same label sets kept at 0 and forgotten after the same
time; ``tests/unit/history/test_sampled_gauges.py`` compares the two on a simulated
history) as ``GaugeRows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.core.vocabulary import TARGETS
from streams.export.catalogue import BY_NAME, PREFIX
from streams.export.exporter import BacklogCollector
from streams.export.openmetrics import GaugeRows


class SampledGauges(BacklogCollector):
    """``BacklogCollector`` whose :meth:`rows` are ``collect()``'s families as rows."""

    def _rows(self, name: str, values: Mapping[Any, float]) -> GaugeRows:
        known = self._known.setdefault(name, {})
        at = self._at
        for seen in values:
            known[seen if isinstance(seen, tuple) else (seen,)] = at
        horizon = at - self.forget_after
        for labels in [labels for labels, seen in known.items() if seen < horizon]:
            del known[labels]
        get = values.get
        rows = [
            (labels, float(get(labels if len(labels) > 1 else labels[0], 0)))
            for labels in sorted(known)
        ]
        metric = BY_NAME[name]
        return GaugeRows(PREFIX + name, metric.help, metric.labels, rows)

    def rows(self) -> list[GaugeRows]:
        """The gauges at ``now()``, in ``collect()``'s order."""
        now = self._at = self.now()
        gauges, figures = self.source.backlog(now)
        out: list[GaugeRows] = [
            self._rows("open_tickets", gauges.open_tickets),
            self._rows("open_tickets_by_channel", gauges.open_by_channel),
            self._rows("unanswered_tickets", gauges.unanswered),
        ]
        ages = {team: max(0.0, now - created) for team, created in gauges.oldest_created.items()}
        out.append(self._rows("oldest_open_ticket_age_seconds", ages))
        teams = {team for team, *_ in gauges.open_tickets}
        unanswered = dict.fromkeys(teams, 0.0)
        for team, created in gauges.oldest_unanswered_created.items():
            unanswered[team] = max(0.0, now - created)
        out.append(self._rows("oldest_unanswered_ticket_age_seconds", unanswered))
        for name, values in (
            ("sla_at_risk_tickets", gauges.at_risk),
            ("sla_breached_open_tickets", gauges.breached_open),
        ):
            for team in teams:
                for target in TARGETS:
                    values.setdefault((team, target), 0)
            out.append(self._rows(name, values))
        out.append(self._rows("agents", gauges.agents))
        orphans = BY_NAME["orphan_events"]
        out.append(
            GaugeRows(
                PREFIX + "orphan_events", orphans.help, (), [((), float(gauges.orphan_events))]
            )
        )
        deadline = BY_NAME["sla_next_deadline_seconds"]
        out.append(
            GaugeRows(
                PREFIX + deadline.name,
                deadline.help,
                deadline.labels,
                [
                    (tuple(labels), seconds)
                    for labels, seconds in sorted(figures.next_deadline.items())
                ],
            )
        )
        out.append(self._rows("sla_warning_clocks", figures.warning))
        out.append(self._rows("sla_breached_running_clocks", figures.breached))
        return out
