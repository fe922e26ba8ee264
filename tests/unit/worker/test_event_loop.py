"""--event-loop installs the loop policy the worker then runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import uvloop

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


def test_uvloop_is_the_default_loop_of_the_worker() -> None:
    assert use_event_loop("uvloop") == "uvloop"
    assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    assert loop_module() == "uvloop"


def test_asyncio_runs_the_worker_on_the_standard_library_loop() -> None:
    use_event_loop("uvloop")
    assert use_event_loop("asyncio") == "asyncio"
    assert loop_module() == "asyncio"


def test_without_uvloop_installed_the_worker_falls_back_to_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    assert use_event_loop("uvloop") == "asyncio"
