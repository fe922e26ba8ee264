"""The command line: every listed command exists, and a usage mistake is one line."""

from __future__ import annotations

import importlib

import pytest

from streams.cli import COMMANDS, main


@pytest.mark.parametrize("module", COMMANDS)
def test_every_listed_command_module_imports(module: str) -> None:
    # build_parser skips a module that is missing; a renamed one would vanish silently
    assert callable(importlib.import_module(module).register)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["replay"], "the following arguments are required: file"),
        (["replay", "x.jsonl", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_a_usage_mistake_is_one_line_on_stderr(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
