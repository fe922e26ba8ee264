"""Kafka security (``security.protocol``, SASL, TLS) for every client, from one Settings.

The options are declared with the others in ``streams/kafka/settings.py`` (``KAFKA_OPTIONS``);
these functions turn them into keyword arguments for kafka-python (``topics``,
``simulate``), aiokafka (the worker's recovery) and Faust's ``broker_credentials``. The
SASL password comes from the environment only and is never printed.
"""

from __future__ import annotations

from typing import Any

from streams.errors import UserError
from streams.kafka.settings import Settings


def _ssl_context(settings: Settings) -> Any:
    import ssl

    if not settings.security_protocol.endswith("SSL"):
        return None
    try:
        context = ssl.create_default_context(cafile=settings.ssl_cafile)
        if settings.ssl_certfile:
            context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"TLS files: {exc}") from None
    return context


def _check_sasl(settings: Settings) -> None:
    if settings.security_protocol.startswith("SASL") and not (
        settings.sasl_username and settings.sasl_password
    ):
        raise UserError(
            f"--security-protocol {settings.security_protocol} needs --sasl-username and "
            "SERVICEPULSE_KAFKA_SASL_PASSWORD"
        )


def kafka_python_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for kafka-python clients (admin, producers)."""
    _check_sasl(settings)
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.security_protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=settings.sasl_mechanism,
            sasl_plain_username=settings.sasl_username,
            sasl_plain_password=settings.sasl_password,
        )
    if settings.security_protocol.endswith("SSL"):
        options["ssl_context"] = _ssl_context(settings)
    return options


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for aiokafka clients."""
    return kafka_python_options(settings)  # the same names in aiokafka


def faust_credentials(settings: Settings) -> Any:
    """``broker_credentials`` for faust.App (None for PLAINTEXT)."""
    _check_sasl(settings)
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return None
    import faust

    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password,
            mechanism=settings.sasl_mechanism,
            ssl_context=_ssl_context(settings),
        )
    return faust.SSLCredentials(_ssl_context(settings))
