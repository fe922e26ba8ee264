"""``servicepulse_worker_*``: the worker's own health, read at scrape time (nothing per event)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.core.ticket import INF
from streams.kafka.settings import Settings
from streams.worker.state import State


class RunningWorker(Protocol):
    """What the health figures and the web pages read of a running worker
    (``streams.worker.app.Worker``), so that they need not import it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def state(self) -> State: ...

    @property
    def app(self) -> Any: ...  # the faust.App

    @property
    def ready(self) -> bool: ...

    @property
    def started(self) -> float: ...

    @property
    def rebalances(self) -> int: ...

    @property
    def recovery_seconds(self) -> float: ...

    @property
    def dlq_sent(self) -> int: ...

    def highwaters(self) -> dict[int, int | None]: ...


class HealthCollector(Collector):
    """Collects the figures of a running worker."""

    def __init__(self, worker: RunningWorker) -> None:
        self.worker = worker

    def collect(self) -> Iterator[Any]:
        worker, state = self.worker, self.worker.state
        app = worker.app
        g = GaugeMetricFamily
        owned = g("servicepulse_worker_partitions", "interaction partitions owned (loaded)")
        owned.add_metric([], len(state.loaded))
        yield owned
        tickets = g("servicepulse_worker_tickets", "tickets held in memory (all states)")
        tickets.add_metric([], state.ticket_count())
        yield tickets
        clock = g("servicepulse_worker_clock_seconds", "engine clock (POSIX seconds)")
        clock.add_metric([], state.now if state.now > -INF else 0.0)
        yield clock
        lag = g(
            "servicepulse_worker_consumer_lag", "messages not yet processed", labels=["partition"]
        )
        for partition, end in sorted(worker.highwaters().items()):
            if end is not None:
                done = state.last_offset.get(partition, -1) + 1
                lag.add_metric([str(partition)], max(0, end - done))
        yield lag
        ready = g("servicepulse_worker_ready", "1 when partitions are assigned and recovered")
        ready.add_metric([], 1.0 if worker.ready else 0.0)
        yield ready
        c = CounterMetricFamily
        for name, help_, value in (
            ("servicepulse_worker_batches", "batches processed", state.batches),
            ("servicepulse_worker_messages", "messages processed", state.events),
            ("servicepulse_worker_state_writes", "ticket states written", state.state_writes),
            (
                "servicepulse_worker_expired_tickets",
                "tickets forgotten by Engine.expire (tombstoned in the changelog)",
                state.expired,
            ),
            ("servicepulse_worker_dead_letters", "messages sent to the DLQ", worker.dlq_sent),
            ("servicepulse_worker_rebalances", "partition assignments seen", worker.rebalances),
            (
                "servicepulse_worker_rewinds",
                "seeks back to refill undelivered offsets",
                state.rewound,
            ),
            (
                "servicepulse_worker_skipped_messages",
                "messages not applied: already applied, not owned, or past a hole",
                state.skipped,
            ),
        ):
            family = c(name, help_)
            family.add_metric([], value)
            yield family
        recovery = g("servicepulse_worker_recovery_seconds", "duration of the last state load")
        recovery.add_metric([], worker.recovery_seconds)
        yield recovery
        monitor = getattr(app, "monitor", None)
        if monitor is not None:
            for name, attr, help_ in (
                ("faust_messages_received", "messages_received_total", "Faust: messages read"),
                ("faust_events", "events_total", "Faust: stream events"),
                ("faust_messages_sent", "messages_sent", "Faust: messages produced"),
            ):
                family = c(name, help_)
                family.add_metric([], float(getattr(monitor, attr, 0) or 0))
                yield family
            for name, attr, help_ in (
                ("faust_events_per_second", "events_s", "Faust: stream events per second"),
                ("faust_messages_active", "messages_active", "Faust: messages in flight"),
            ):
                gauge = g(name, help_)
                gauge.add_metric([], float(getattr(monitor, attr, 0) or 0))
                yield gauge
            latency = g("faust_commit_latency_seconds", "Faust: mean of recent commit latencies")
            commits = list(getattr(monitor, "commit_latency", ()) or ())
            latency.add_metric([], sum(commits) / len(commits) if commits else 0.0)
            yield latency
