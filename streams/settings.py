"""Configuration of the Kafka adapters (worker, simulate, topics).

Every setting has a command-line option and a ``SERVICEPULSE_*`` environment
variable; the option wins over the variable, the variable over the default.
``docs/worker.md`` lists them all.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from streams.argtypes import (
    _choice,
    _duration,
    _non_negative_float,
    _positive_int,
    port_number,
    positive_number,
)
from streams.errors import UserError

CLOCKS = ("wall", "event")
STORES = ("rocksdb", "memory")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
DRAINS = ("batch", "faust")
EVENT_LOOPS = ("asyncio", "uvloop")


@dataclass(frozen=True)
class Option:
    """One setting: attribute name, option flag, env variable, parser, default, help."""

    name: str
    flag: str
    env: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option(
        "broker",
        "--broker",
        "SERVICEPULSE_BROKER",
        str,
        "127.0.0.1:9092",
        "Kafka bootstrap servers, host:port[,host:port] (kafka:// prefix allowed)",
        "URL",
    ),
    Option(
        "topic",
        "--topic",
        "SERVICEPULSE_TOPIC",
        str,
        "servicepulse.interactions",
        "interaction topic (message key = ticket_id)",
        "NAME",
    ),
    Option(
        "dlq_topic",
        "--dlq-topic",
        "SERVICEPULSE_DLQ_TOPIC",
        str,
        "servicepulse.interactions.dlq",
        "dead-letter topic for rejected events (reason in header servicepulse-reason)",
        "NAME",
    ),
    Option(
        "partitions",
        "--partitions",
        "SERVICEPULSE_PARTITIONS",
        _positive_int,
        4,
        "partitions of the interaction topic, its DLQ and the state changelog",
        "N",
    ),
    Option(
        "replication",
        "--replication",
        "SERVICEPULSE_REPLICATION",
        _positive_int,
        1,
        "replication factor of topics created",
        "N",
    ),
    Option(
        "retention",
        "--retention",
        "SERVICEPULSE_RETENTION",
        _duration,
        7 * 86400.0,
        "retention of the interaction topic (seconds or 30m/12h/7d)",
        "DURATION",
    ),
    Option(
        "dlq_retention",
        "--dlq-retention",
        "SERVICEPULSE_DLQ_RETENTION",
        _duration,
        30 * 86400.0,
        "retention of the dead-letter topic",
        "DURATION",
    ),
    Option(
        "app_id",
        "--app-id",
        "SERVICEPULSE_APP_ID",
        str,
        "servicepulse",
        "Faust application id: consumer group and changelog topic prefix",
        "ID",
    ),
    Option(
        "store",
        "--store",
        "SERVICEPULSE_STORE",
        _choice(STORES),
        "rocksdb",
        "local table store: rocksdb (rocksdict, survives restarts) or memory",
        None,
    ),
    Option(
        "data_dir",
        "--data-dir",
        "SERVICEPULSE_DATA_DIR",
        str,
        "var/worker",
        "directory for the worker's local state (rocksdb tables)",
        "DIR",
    ),
    Option(
        "ledger",
        "--ledger",
        "SERVICEPULSE_LEDGER",
        str,
        None,
        "outcomes ledger: a postgresql:// URL (or an SQLite path for one worker) that gets "
        "one row per SLA outcome, team stint, survey and QA review (docs/ledger.md); "
        "prefer the variable for a URL with a password",
        "URL",
    ),
    Option(
        "host",
        "--host",
        "SERVICEPULSE_METRICS_HOST",
        str,
        "127.0.0.1",
        "address to serve /metrics and /health on",
        "ADDR",
    ),
    Option(
        "port",
        "--port",
        "SERVICEPULSE_METRICS_PORT",
        port_number,
        9109,
        "port to serve /metrics and /health on",
        "PORT",
    ),
    Option(
        "policy",
        "--policy",
        "SERVICEPULSE_POLICY",
        str,
        None,
        "SLA policy YAML (default: built-in)",
        "P",
    ),
    Option(
        "clock",
        "--clock",
        "SERVICEPULSE_CLOCK",
        _choice(CLOCKS),
        "wall",
        "engine clock: wall (wall time minus --grace, advanced by a timer) or event "
        "(watermark of the event times of the owned partitions, as replay)",
        None,
    ),
    Option(
        "grace",
        "--grace",
        "SERVICEPULSE_GRACE",
        _non_negative_float,
        5.0,
        "wall clock only: seconds a deadline is held open for late events",
        "SECONDS",
    ),
    Option(
        "tick",
        "--tick",
        "SERVICEPULSE_TICK",
        positive_number,
        1.0,
        "seconds between clock advances of the timer",
        "SECONDS",
    ),
    Option(
        "batch",
        "--batch",
        "SERVICEPULSE_BATCH",
        _positive_int,
        2000,
        "most events taken from the stream at once",
        "N",
    ),
    Option(
        "batch_within",
        "--batch-within",
        "SERVICEPULSE_BATCH_WITHIN",
        positive_number,
        0.05,
        "seconds to wait for a batch to fill",
        "SECONDS",
    ),
    Option(
        "security_protocol",
        "--security-protocol",
        "SERVICEPULSE_KAFKA_SECURITY_PROTOCOL",
        _choice(SECURITY_PROTOCOLS),
        "PLAINTEXT",
        "Kafka security.protocol",
        None,
    ),
    Option(
        "sasl_mechanism",
        "--sasl-mechanism",
        "SERVICEPULSE_KAFKA_SASL_MECHANISM",
        _choice(SASL_MECHANISMS),
        "PLAIN",
        "SASL mechanism (SASL_* protocols)",
        None,
    ),
    Option(
        "sasl_username",
        "--sasl-username",
        "SERVICEPULSE_KAFKA_SASL_USERNAME",
        str,
        None,
        "SASL user name (the password only from SERVICEPULSE_KAFKA_SASL_PASSWORD)",
        "USER",
    ),
    Option(
        "sasl_password",
        "",  # a secret: from the environment only, never an option or a log line
        "SERVICEPULSE_KAFKA_SASL_PASSWORD",
        str,
        None,
        "SASL password",
    ),
    Option(
        "ssl_cafile",
        "--ssl-cafile",
        "SERVICEPULSE_KAFKA_SSL_CAFILE",
        str,
        None,
        "TLS: CA bundle to verify the brokers (SSL, SASL_SSL; default: system CAs)",
        "PEM",
    ),
    Option(
        "ssl_certfile",
        "--ssl-certfile",
        "SERVICEPULSE_KAFKA_SSL_CERTFILE",
        str,
        None,
        "TLS: client certificate (mutual TLS)",
        "PEM",
    ),
    Option(
        "ssl_keyfile",
        "--ssl-keyfile",
        "SERVICEPULSE_KAFKA_SSL_KEYFILE",
        str,
        None,
        "TLS: client private key (mutual TLS)",
        "PEM",
    ),
    Option(
        "session_timeout",
        "--session-timeout",
        "SERVICEPULSE_SESSION_TIMEOUT",
        positive_number,
        10.0,
        "consumer-group session timeout: how soon a crashed worker's partitions move "
        "(the broker's group.min.session.timeout.ms bounds it, 6 s by default)",
        "SECONDS",
    ),
    Option(
        "instance_id",
        "--instance-id",
        "SERVICEPULSE_INSTANCE_ID",
        str,
        None,
        "static group membership (group.instance.id, unique per worker): a restart "
        "within the session timeout keeps its partitions without a rebalance",
        "ID",
    ),
    Option(
        "drain",
        "--drain",
        "SERVICEPULSE_DRAIN",
        _choice(DRAINS),
        "batch",
        "how fetched records reach the engine: batch (whole fetches, per partition in "
        "offset order) or faust (Faust's per-message stream; slower, for comparison)",
        None,
    ),
    Option(
        "event_loop",
        "--event-loop",
        "SERVICEPULSE_EVENT_LOOP",
        _choice(EVENT_LOOPS),
        "asyncio",
        "the worker's event loop: asyncio (the standard library's) or uvloop (needs the "
        "uvloop extra; measured no faster here, see docs/worker.md)",
        None,
    ),
    Option(
        "log_level",
        "--log-level",
        "SERVICEPULSE_LOG_LEVEL",
        _choice(("debug", "info", "warning", "error")),
        "warning",
        "worker log level",
        None,
    ),
)
BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}


@dataclass
class Settings:
    broker: str = "127.0.0.1:9092"
    topic: str = "servicepulse.interactions"
    dlq_topic: str = "servicepulse.interactions.dlq"
    partitions: int = 4
    replication: int = 1
    retention: float = 7 * 86400.0
    dlq_retention: float = 30 * 86400.0
    app_id: str = "servicepulse"
    store: str = "rocksdb"
    data_dir: str = "var/worker"
    ledger: str | None = None
    host: str = "127.0.0.1"
    port: int = 9109
    policy: str | None = None
    clock: str = "wall"
    grace: float = 5.0
    tick: float = 1.0
    batch: int = 2000
    batch_within: float = 0.05
    drain: str = "batch"
    event_loop: str = "asyncio"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    session_timeout: float = 10.0
    instance_id: str | None = None
    log_level: str = "warning"

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

    # Security options reach the clients through streams.kafka_security.

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


def add_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """Add the options ``names`` to ``parser``; defaults come from the environment."""
    for name in names:
        option = BY_NAME[name]
        if not option.flag:  # environment only (secrets)
            continue
        shown = option.default if option.default is not None else "none"
        parser.add_argument(
            option.flag,
            dest=name,
            default=None,
            metavar=option.metavar,
            help=f"{option.help} [env {option.env}; default {shown}]",
        )


def resolve(
    args: argparse.Namespace | None,
    names: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from options (first), ``SERVICEPULSE_*`` variables, then defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    for name in names:
        option = BY_NAME[name]
        assert name in known
        text = getattr(args, name, None) if args is not None else None
        source = option.flag
        if text is None:
            text = environ.get(option.env) or None
            source = option.env
        if text is None:
            continue
        try:
            values[name] = option.parse(str(text))
        except ValueError as exc:
            raise UserError(f"{source}: invalid value {text!r} ({exc})") from None
    return Settings(**values)


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
    "store",
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
