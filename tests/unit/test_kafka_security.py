"""Kafka security options: one definition for worker, simulate and ingest; secrets from env."""

from __future__ import annotations

import argparse
import ssl

import pytest

from streams.errors import UserError
from streams.kafka.security import faust_credentials, kafka_python_options
from streams.kafka.settings import KAFKA_OPTIONS, WORKER_OPTIONS, add_options, resolve


def test_the_sasl_password_is_not_an_option_only_an_environment_variable() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser, WORKER_OPTIONS)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert "--sasl-username" in flags and "--security-protocol" in flags
    assert not any("password" in flag for flag in flags)


def test_sasl_plain_reaches_kafka_clients_and_the_password_is_never_shown() -> None:
    environ = {
        "SERVICEPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "SERVICEPULSE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "SERVICEPULSE_KAFKA_SASL_USERNAME": "pulse",
        "SERVICEPULSE_KAFKA_SASL_PASSWORD": "s3cret-value",
    }
    settings = resolve(None, KAFKA_OPTIONS, environ)
    assert kafka_python_options(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "pulse",
        "sasl_plain_password": "s3cret-value",
    }
    credentials = faust_credentials(settings)
    assert credentials.username == "pulse" and credentials.mechanism.value == "SCRAM-SHA-512"
    assert "s3cret-value" not in repr(settings) and "***" in repr(settings)


def test_tls_builds_a_verifying_context() -> None:
    settings = resolve(None, KAFKA_OPTIONS, {"SERVICEPULSE_KAFKA_SECURITY_PROTOCOL": "SSL"})
    context = kafka_python_options(settings)["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_sasl_without_a_password_is_a_one_line_error() -> None:
    args = argparse.Namespace(security_protocol="SASL_SSL", sasl_username="pulse")
    settings = resolve(args, KAFKA_OPTIONS, {})
    with pytest.raises(UserError, match="SERVICEPULSE_KAFKA_SASL_PASSWORD"):
        kafka_python_options(settings)


def test_a_missing_ca_file_is_a_one_line_error() -> None:
    args = argparse.Namespace(security_protocol="SSL", ssl_cafile="/nonexistent/ca.pem")
    with pytest.raises(UserError, match="TLS files"):
        kafka_python_options(resolve(args, KAFKA_OPTIONS, {}))


def test_plaintext_by_default() -> None:
    settings = resolve(None, KAFKA_OPTIONS, {})
    assert kafka_python_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(settings) is None


def test_ingest_builds_its_producer_with_the_security_options() -> None:
    import asyncio

    from aiokafka import AIOKafkaProducer

    from streams.commands.ingest import producer_config

    environ = {
        "SERVICEPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "SERVICEPULSE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "SERVICEPULSE_KAFKA_SASL_USERNAME": "pulse",
        "SERVICEPULSE_KAFKA_SASL_PASSWORD": "s3cret-value",
    }
    config = producer_config(resolve(None, KAFKA_OPTIONS, environ), timeout=4.0)
    assert config["security_protocol"] == "SASL_SSL"
    assert (config["sasl_mechanism"], config["sasl_plain_username"]) == ("SCRAM-SHA-256", "pulse")
    assert config["sasl_plain_password"] == "s3cret-value"
    assert isinstance(config["ssl_context"], ssl.SSLContext)
    assert (config["acks"], config["enable_idempotence"], config["request_timeout_ms"]) == (
        "all",
        True,
        4000,
    )

    async def build() -> None:  # aiokafka takes every key (not started: no broker here)
        producer = AIOKafkaProducer(**config)
        assert producer.client._security_protocol == "SASL_SSL"

    asyncio.run(build())


def test_ingest_refuses_sasl_without_its_password_before_listening() -> None:
    from streams.commands.ingest import KafkaStore

    args = argparse.Namespace(security_protocol="SASL_PLAINTEXT", sasl_username="pulse")
    with pytest.raises(UserError, match="SERVICEPULSE_KAFKA_SASL_PASSWORD"):
        KafkaStore(resolve(args, KAFKA_OPTIONS, {}), timeout=4.0)
