"""One grammar for a duration on the command line: a number with an optional unit s, m, h
or d, a plain number being seconds; every command that takes a duration uses it."""

from __future__ import annotations

import argparse

import pytest

from streams.argtypes import duration, non_negative_duration, signed_duration
from streams.cli import build_parser, main
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.stack.command import prometheus_interval


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("2.5", 2.5),
        ("45s", 45.0),
        ("30m", 1800.0),  # 30 * 60
        ("1.5h", 5400.0),  # 1.5 * 3600
        ("7d", 604800.0),  # 7 * 86400
        (" 12h ", 43200.0),  # 12 * 3600, surrounding blanks ignored
        (".5m", 30.0),
    ],
)
def test_a_duration_is_seconds_or_a_number_with_a_unit(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "3w", "1e3", "inf", "nan", "1h30m", "5 min", "--1s"])
def test_anything_else_is_refused_with_the_grammar_in_one_line(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        signed_duration(text)
    message = str(refused.value)
    assert message.startswith(f"invalid duration {text!r}") and "unit s, m, h or d" in message
    assert "\n" not in message


def test_only_the_signed_kind_takes_a_sign() -> None:
    assert signed_duration("-3h") == -10800.0  # 3 * 3600 before
    assert signed_duration("+90m") == 5400.0
    assert non_negative_duration("0") == 0.0
    with pytest.raises(argparse.ArgumentTypeError, match="must not be negative"):
        non_negative_duration("-1s")
    for text in ("0", "0s", "-1m"):
        with pytest.raises(argparse.ArgumentTypeError, match="must be more than 0"):
            duration(text)


def test_the_worker_alerting_demo_and_stack_read_durations_alike() -> None:
    parser = build_parser()
    worker = parser.parse_args(["worker", "--retention", "12h", "--escalate-after", "1.5h"])
    assert resolve(worker, WORKER_OPTIONS, {}).retention == 43200.0  # 12 * 3600
    assert worker.escalate_after == 5400.0  # 1.5 * 3600
    demo = parser.parse_args(["demo", "--outage-start=-90m", "--history", "14d"])
    assert (demo.outage_start, demo.history) == (-5400.0, 1209600.0)  # -90 * 60, 14 * 86400
    serve = parser.parse_args(["serve", "--escalate-after", "600"])
    assert serve.escalate_after == 600.0  # a plain number is seconds
    stack = parser.parse_args(["stack", "up", "--scrape-interval", "1m"])
    assert stack.scrape_interval == "60s"


def test_a_stack_interval_is_written_as_prometheus_reads_it() -> None:
    assert prometheus_interval("15") == "15s"
    assert prometheus_interval("1.5s") == "1500ms"  # Prometheus takes no fractions
    assert prometheus_interval("2h") == "7200s"


def test_a_bad_duration_in_a_worker_option_or_variable_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["worker", "--retention", "3w"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--retention: invalid value '3w'" in err, err
    monkeypatch.setenv("SERVICEPULSE_DLQ_RETENTION", "soon")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SERVICEPULSE_DLQ_RETENTION: invalid value 'soon'" in err


def test_a_bad_duration_given_to_argparse_is_one_line_naming_the_grammar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--history", "a week"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid duration 'a week'" in err, err
