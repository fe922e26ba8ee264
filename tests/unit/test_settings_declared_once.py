"""Each Kafka setting is declared once: its option, variable, parser, default and help
come from one field, and the option wins over the variable, the variable over the default."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from streams.errors import UserError
from streams.kafka.settings import KAFKA_OPTIONS, WORKER_OPTIONS, Settings, add_options, resolve
from streams.settings import declared, env_list, env_value


def test_every_field_of_the_settings_is_an_option_and_a_variable() -> None:
    options = declared(Settings)
    assert set(options) == {f.name for f in fields(Settings)} == set(WORKER_OPTIONS)
    for name, (option, _) in options.items():
        assert option.env.startswith("SERVICEPULSE_"), name
        # the flag is the field's name with dashes; the password has none (env only)
        assert option.flag == ("" if name == "sasl_password" else "--" + name.replace("_", "-"))


def test_every_default_is_a_value_its_own_parser_accepts() -> None:
    for name, (option, default) in declared(Settings).items():
        if default is not None:
            assert option.parse(str(default)) == default, name


def test_the_option_wins_over_the_variable_and_the_variable_over_the_default() -> None:
    environ = {"SERVICEPULSE_PARTITIONS": "6", "SERVICEPULSE_TOPIC": ""}
    given = argparse.Namespace(partitions="8")
    assert resolve(given, KAFKA_OPTIONS, environ).partitions == 8
    assert resolve(None, KAFKA_OPTIONS, environ).partitions == 6
    assert resolve(None, KAFKA_OPTIONS, {}).partitions == 4
    # an empty variable counts as unset
    assert resolve(None, KAFKA_OPTIONS, environ).topic == "servicepulse.interactions"


def test_a_refused_value_names_the_option_or_the_variable() -> None:
    with pytest.raises(UserError, match=r"^--partitions: invalid value '0' \(must be > 0\)$"):
        resolve(argparse.Namespace(partitions="0"), KAFKA_OPTIONS, {})
    with pytest.raises(UserError, match=r"^SERVICEPULSE_CLOCK: invalid value 'sundial'"):
        resolve(None, WORKER_OPTIONS, {"SERVICEPULSE_CLOCK": "sundial"})


def test_the_help_shows_each_option_with_its_variable_and_default() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser, ("retention", "sasl_username"))
    helps = {action.dest: action.help for action in parser._actions}
    assert helps["retention"].endswith("[env SERVICEPULSE_RETENTION; default 604800.0]")
    assert helps["sasl_username"].endswith("[env SERVICEPULSE_KAFKA_SASL_USERNAME; default none]")


def test_list_variables_are_comma_separated_and_empty_items_dropped() -> None:
    environ = {"SERVICEPULSE_ALERTMANAGER": " http://a:9093 ,, http://b:9093,"}
    assert env_list("SERVICEPULSE_ALERTMANAGER", environ) == ["http://a:9093", "http://b:9093"]
    assert env_list("SERVICEPULSE_ALERTMANAGER", {}) == []
    assert env_value("SERVICEPULSE_TOKEN", {"SERVICEPULSE_TOKEN": ""}) is None
