"""--event-loop installs the loop policy the worker then runs on."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator

import pytest
import uvloop

from streams.errors import UserError
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.worker.command import use_event_loop


@pytest.fixture(autouse=True)
def restore_policy() -> Iterator[None]:
    policy = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(policy)


def loop_module() -> str:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__.split(".")[0]

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(which())
    finally:
        loop.close()


def test_asyncio_is_the_default_loop_of_the_worker() -> None:
    assert resolve(argparse.Namespace(), WORKER_OPTIONS).event_loop == "asyncio"
    use_event_loop("uvloop")
    use_event_loop("asyncio")
    assert loop_module() == "asyncio"


def test_uvloop_runs_the_worker_on_uvloop() -> None:
    use_event_loop("uvloop")
    assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    assert loop_module() == "uvloop"


def test_uvloop_asked_for_but_not_installed_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    with pytest.raises(UserError, match="uvloop is not installed"):
        use_event_loop("uvloop")
