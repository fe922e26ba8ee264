"""The settings of the Kafka adapters (worker, simulate, topics, ingest), each declared once.

Every field is a command-line option and a ``SERVICEPULSE_*`` environment variable
(``streams.settings.setting``); the option wins over the variable, the variable over the
default. ``docs/worker.md`` lists them all.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, fields

from streams import settings as declare
from streams.argtypes import (
    choice,
    duration,
    non_negative_number,
    port_number,
    positive_int,
    positive_number,
)
from streams.errors import UserError
from streams.settings import setting

CLOCKS = ("wall", "event")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
DRAINS = ("batch", "faust")
EVENT_LOOPS = ("asyncio", "uvloop")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(repr=False)
class Settings:
    broker: str = setting(
        "--broker",
        "SERVICEPULSE_BROKER",
        str,
        "127.0.0.1:9092",
        "Kafka bootstrap servers, host:port[,host:port] (kafka:// prefix allowed)",
        "URL",
    )
    topic: str = setting(
        "--topic",
        "SERVICEPULSE_TOPIC",
        str,
        "servicepulse.interactions",
        "interaction topic (message key = ticket_id)",
        "NAME",
    )
    dlq_topic: str = setting(
        "--dlq-topic",
        "SERVICEPULSE_DLQ_TOPIC",
        str,
        "servicepulse.interactions.dlq",
        "dead-letter topic for rejected events (reason in header servicepulse-reason)",
        "NAME",
    )
    partitions: int = setting(
        "--partitions",
        "SERVICEPULSE_PARTITIONS",
        positive_int,
        4,
        "partitions of the interaction topic, its DLQ and the state changelog",
        "N",
    )
    replication: int = setting(
        "--replication",
        "SERVICEPULSE_REPLICATION",
        positive_int,
        1,
        "replication factor of topics created",
        "N",
    )
    retention: float = setting(
        "--retention",
        "SERVICEPULSE_RETENTION",
        duration,
        7 * 86400.0,
        "retention of the interaction topic (seconds or 30m/12h/7d)",
        "DURATION",
    )
    dlq_retention: float = setting(
        "--dlq-retention",
        "SERVICEPULSE_DLQ_RETENTION",
        duration,
        30 * 86400.0,
        "retention of the dead-letter topic",
        "DURATION",
    )
    app_id: str = setting(
        "--app-id",
        "SERVICEPULSE_APP_ID",
        str,
        "servicepulse",
        "Faust application id: consumer group and changelog topic prefix",
        "ID",
    )
    data_dir: str = setting(
        "--data-dir",
        "SERVICEPULSE_DATA_DIR",
        str,
        "var/worker",
        "directory for Faust's local files, <data-dir>/<app-id> (the ticket state itself "
        "lives in memory and in its changelog topic)",
        "DIR",
    )
    ledger: str | None = setting(
        "--ledger",
        "SERVICEPULSE_LEDGER",
        str,
        None,
        "outcomes ledger: a postgresql:// URL (or an SQLite path for one worker) that gets "
        "one row per SLA outcome, team stint, survey and QA review (docs/ledger.md); "
        "prefer the variable for a URL with a password",
        "URL",
    )
    host: str = setting(
        "--host",
        "SERVICEPULSE_METRICS_HOST",
        str,
        "127.0.0.1",
        "address to serve /metrics and /health on",
        "ADDR",
    )
    port: int = setting(
        "--port",
        "SERVICEPULSE_METRICS_PORT",
        port_number,
        9109,
        "port to serve /metrics and /health on",
        "PORT",
    )
    policy: str | None = setting(
        "--policy",
        "SERVICEPULSE_POLICY",
        str,
        None,
        "SLA policy YAML (default: built-in)",
        "P",
    )
    clock: str = setting(
        "--clock",
        "SERVICEPULSE_CLOCK",
        choice(CLOCKS),
        "wall",
        "engine clock: wall (wall time minus --grace, advanced by a timer) or event "
        "(watermark of the event times of the owned partitions, as replay)",
    )
    grace: float = setting(
        "--grace",
        "SERVICEPULSE_GRACE",
        non_negative_number,
        5.0,
        "wall clock only: seconds a deadline is held open for late events",
        "SECONDS",
    )
    tick: float = setting(
        "--tick",
        "SERVICEPULSE_TICK",
        positive_number,
        1.0,
        "seconds between clock advances of the timer",
        "SECONDS",
    )
    batch: int = setting(
        "--batch",
        "SERVICEPULSE_BATCH",
        positive_int,
        2000,
        "most events taken from the stream at once",
        "N",
    )
    batch_within: float = setting(
        "--batch-within",
        "SERVICEPULSE_BATCH_WITHIN",
        positive_number,
        0.05,
        "seconds to wait for a batch to fill",
        "SECONDS",
    )
    drain: str = setting(
        "--drain",
        "SERVICEPULSE_DRAIN",
        choice(DRAINS),
        "batch",
        "how fetched records reach the engine: batch (whole fetches, per partition in "
        "offset order) or faust (Faust's per-message stream; slower, for comparison)",
    )
    event_loop: str = setting(
        "--event-loop",
        "SERVICEPULSE_EVENT_LOOP",
        choice(EVENT_LOOPS),
        "asyncio",
        "the worker's event loop: asyncio (the standard library's) or uvloop (needs the "
        "uvloop extra; measured no faster here, see docs/worker.md)",
    )
    security_protocol: str = setting(
        "--security-protocol",
        "SERVICEPULSE_KAFKA_SECURITY_PROTOCOL",
        choice(SECURITY_PROTOCOLS),
        "PLAINTEXT",
        "Kafka security.protocol",
    )
    sasl_mechanism: str = setting(
        "--sasl-mechanism",
        "SERVICEPULSE_KAFKA_SASL_MECHANISM",
        choice(SASL_MECHANISMS),
        "PLAIN",
        "SASL mechanism (SASL_* protocols)",
    )
    sasl_username: str | None = setting(
        "--sasl-username",
        "SERVICEPULSE_KAFKA_SASL_USERNAME",
        str,
        None,
        "SASL user name (the password only from SERVICEPULSE_KAFKA_SASL_PASSWORD)",
        "USER",
    )
    sasl_password: str | None = setting(
        "",  # a secret: from the environment only, never an option or a log line
        "SERVICEPULSE_KAFKA_SASL_PASSWORD",
        str,
        None,
        "SASL password",
    )
    ssl_cafile: str | None = setting(
        "--ssl-cafile",
        "SERVICEPULSE_KAFKA_SSL_CAFILE",
        str,
        None,
        "TLS: CA bundle to verify the brokers (SSL, SASL_SSL; default: system CAs)",
        "PEM",
    )
    ssl_certfile: str | None = setting(
        "--ssl-certfile",
        "SERVICEPULSE_KAFKA_SSL_CERTFILE",
        str,
        None,
        "TLS: client certificate (mutual TLS)",
        "PEM",
    )
    ssl_keyfile: str | None = setting(
        "--ssl-keyfile",
        "SERVICEPULSE_KAFKA_SSL_KEYFILE",
        str,
        None,
        "TLS: client private key (mutual TLS)",
        "PEM",
    )
    session_timeout: float = setting(
        "--session-timeout",
        "SERVICEPULSE_SESSION_TIMEOUT",
        positive_number,
        10.0,
        "consumer-group session timeout: how soon a crashed worker's partitions move "
        "(the broker's group.min.session.timeout.ms bounds it, 6 s by default)",
        "SECONDS",
    )
    instance_id: str | None = setting(
        "--instance-id",
        "SERVICEPULSE_INSTANCE_ID",
        str,
        None,
        "static group membership (group.instance.id, unique per worker): a restart "
        "within the session timeout keeps its partitions without a rebalance",
        "ID",
    )
    log_level: str = setting(
        "--log-level",
        "SERVICEPULSE_LOG_LEVEL",
        choice(LOG_LEVELS),
        "warning",
        "worker log level",
    )

    @property
    def bootstrap(self) -> list[str]:
        """``host:port`` entries for kafka-python/aiokafka."""
        servers = []
        for part in self.broker.replace(";", ",").split(","):
            part = part.strip()
            if part.startswith("kafka://"):
                part = part[len("kafka://") :]
            part = part.rstrip("/")
            if part:
                servers.append(part if ":" in part else f"{part}:9092")
        if not servers:
            raise UserError(f"no broker address in {self.broker!r}")
        return servers

    # Security options reach the clients through streams.kafka.security.

    def __repr__(self) -> str:  # never shows the password
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if values["sasl_password"]:
            values["sasl_password"] = "***"
        shown = ", ".join(f"{name}={value!r}" for name, value in values.items())
        return f"Settings({shown})"

    @property
    def faust_broker(self) -> list[str]:
        return [f"kafka://{server}" for server in self.bootstrap]

    @property
    def changelog_topic(self) -> str:
        """The name Faust gives the ticket table's changelog."""
        return f"{self.app_id}-tickets-changelog"


KAFKA_OPTIONS = (
    "broker",
    "topic",
    "dlq_topic",
    "partitions",
    "replication",
    "retention",
    "dlq_retention",
    "app_id",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "ssl_cafile",
    "ssl_certfile",
    "ssl_keyfile",
)
WORKER_OPTIONS = (
    *KAFKA_OPTIONS,
    "data_dir",
    "ledger",
    "host",
    "port",
    "policy",
    "clock",
    "grace",
    "tick",
    "batch",
    "batch_within",
    "drain",
    "event_loop",
    "session_timeout",
    "instance_id",
    "log_level",
)


def add_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """Add the Kafka settings ``names`` to ``parser`` (resolved later by :func:`resolve`)."""
    declare.add_options(parser, Settings, names)


def resolve(
    args: argparse.Namespace | None,
    names: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from options (first), ``SERVICEPULSE_*`` variables, then defaults."""
    return declare.resolve(Settings, args, names, environ)
