"""The interaction, dead-letter and changelog topics, created with the kafka-python admin client.

* the interaction topic: ``--partitions`` partitions, ``cleanup.policy=delete`` with
  ``retention.ms`` from ``--retention``;
* the dead-letter topic: as many partitions, retention ``--dlq-retention``;
* the ticket-state changelog (``<app-id>-tickets-changelog``): as many partitions,
  compacted (only each ticket's latest state and each partition's clock record stay;
  tombstones of forgotten tickets go after ``delete.retention.ms``).

Used by ``servicepulse topics`` (streams/commands/topics.py), the worker at start-up and
``simulate``. An existing topic is never altered: a partition count that differs from
``--partitions`` is reported (the worker follows the topic's real count).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from streams.errors import UserError
from streams.kafka.security import kafka_python_options
from streams.kafka.settings import Settings


@dataclass
class TopicState:
    name: str
    partitions: int
    created: bool


def _admin(settings: Settings, timeout: float = 15.0) -> Any:
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.bootstrap,
            client_id=f"{settings.app_id}-admin",
            request_timeout_ms=int(timeout * 1000),
            **kafka_python_options(settings),
        )
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {settings.broker}: {exc}") from None


def _partition_counts(admin: Any, names: list[str]) -> dict[str, int]:
    """Existing topics among ``names`` -> their partition count."""
    existing = set(admin.list_topics())
    wanted = [name for name in names if name in existing]
    if not wanted:
        return {}
    counts = {}
    for topic in admin.describe_topics(wanted):
        if topic.get("error_code", 0) == 0:
            counts[topic["name"]] = len(topic["partitions"])
    return counts


def topic_specs(settings: Settings) -> dict[str, dict[str, Any]]:
    """What ``ensure_topics`` creates: name -> kafka-python create_topics options."""
    return {
        settings.topic: {
            "num_partitions": settings.partitions,
            "replication_factor": settings.replication,
            "configs": {
                "cleanup.policy": "delete",
                "retention.ms": str(int(settings.retention * 1000)),
            },
        },
        settings.dlq_topic: {
            "num_partitions": settings.partitions,
            "replication_factor": settings.replication,
            "configs": {
                "cleanup.policy": "delete",
                "retention.ms": str(int(settings.dlq_retention * 1000)),
            },
        },
        # The worker's state: compacted, so only the latest record of each ticket (and
        # each partition's clock) stays; a forgotten ticket's tombstone goes after a day.
        settings.changelog_topic: {
            "num_partitions": settings.partitions,
            "replication_factor": settings.replication,
            "configs": {
                "cleanup.policy": "compact",
                "min.cleanable.dirty.ratio": "0.1",
                "segment.ms": str(3600 * 1000),
                "segment.bytes": str(64 * 1024 * 1024),
                "delete.retention.ms": str(86400 * 1000),
                "max.compaction.lag.ms": str(6 * 3600 * 1000),
                # a flush cut short by a crash stays uncompacted this long: the values it
                # would supersede are there for the next owner to write back (recovery.py)
                "min.compaction.lag.ms": str(3600 * 1000),
            },
        },
    }


def ensure_topics(settings: Settings) -> dict[str, TopicState]:
    """Create the input and dead-letter topics if missing; report what exists."""
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    specs = topic_specs(settings)
    admin = _admin(settings)
    try:
        counts = _partition_counts(admin, list(specs))
        missing = {name: spec for name, spec in specs.items() if name not in counts}
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
            except TopicAlreadyExistsError:
                time.sleep(1.0)  # another worker won the race; let its metadata settle
            counts.update(_partition_counts(admin, list(missing)))
        return {name: TopicState(name, counts.get(name, 0), name in missing) for name in specs}
    except KafkaError as exc:
        raise UserError(f"creating topics on {settings.broker} failed: {exc}") from None
    finally:
        admin.close()


def delete_topics(settings: Settings) -> list[str]:
    """Delete the input, dead-letter and changelog topics (those that exist)."""
    from kafka.errors import KafkaError

    admin = _admin(settings)
    try:
        names = [settings.topic, settings.dlq_topic, settings.changelog_topic]
        existing = [name for name in names if name in set(admin.list_topics())]
        if existing:
            admin.delete_topics(existing)
        return existing
    except KafkaError as exc:
        raise UserError(f"deleting topics on {settings.broker} failed: {exc}") from None
    finally:
        admin.close()
