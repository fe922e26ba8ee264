"""The private Faust hooks the batch path overrides still have the shape it was written for.

streams/worker/batch.py replaces Consumer._drain_messages and answers commits through
_filter_tps_with_pending_acks/_new_offset. If faust-streaming changes any of them, this
test fails before a worker silently loses its batch path or commits the wrong offsets.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from faust.transport import consumer as base
from faust.transport.drivers import aiokafka as driver

from streams.worker.batch import HOOKS, BatchConsumer

PINNED = "0.15.3"


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_faust_streaming_is_the_pinned_version() -> None:
    assert version("faust-streaming") == PINNED


def test_every_hook_the_batch_consumer_uses_exists_on_fausts_consumer() -> None:
    source = inspect.getsource(base.Consumer)  # instance attributes are set in __init__ etc.
    missing = [
        hook
        for hook in HOOKS
        if not hasattr(driver.Consumer, hook) and f"self.{hook} =" not in source
    ]
    assert missing == []


def test_the_hooks_keep_their_signatures() -> None:
    assert parameters(base.Consumer._drain_messages) == ["self", "fetcher"]
    assert parameters(base.Consumer._wait_next_records) == ["self", "timeout"]
    assert parameters(base.Consumer._filter_tps_with_pending_acks) == ["self", "topics"]
    assert parameters(base.Consumer._new_offset) == ["self", "tp"]
    assert parameters(base.Consumer._add_gap) == ["self", "tp", "offset_from", "offset_to"]
    assert parameters(driver.Consumer._to_message) == ["self", "tp", "record"]
    assert inspect.iscoroutinefunction(base.Consumer._wait_next_records)
    assert inspect.iscoroutinefunction(base.Consumer.perform_seek)


def test_the_drain_loop_still_hands_messages_one_by_one_through_wait_first() -> None:
    # The batch path replaces exactly this loop; if Faust rewrites it, read it again.
    source = inspect.getsource(base.Consumer._drain_messages)
    assert "getmany(timeout=1.0)" in source
    assert "self.wait_first(" in source and "callback(message)" in source
    assert "set_read_offset(tp, offset)" in source
    getmany = inspect.getsource(base.Consumer.getmany)
    assert "self._wait_next_records(timeout)" in getmany
    assert "perform_seek()" in getmany


def test_commits_ask_new_offset_for_every_tp_with_pending_acks() -> None:
    force_commit = inspect.getsource(base.Consumer.force_commit)
    assert "self._filter_tps_with_pending_acks(topics)" in force_commit
    committable = inspect.getsource(base.Consumer._filter_committable_offsets)
    assert (
        "self._new_offset(tp)" in committable and "self._should_commit(tp, offset)" in committable
    )


def test_the_transport_builds_its_consumer_from_a_class_attribute() -> None:
    assert driver.Transport.Consumer is driver.Consumer
    assert "self.Consumer(" in inspect.getsource(driver.Transport.create_consumer)
    assert issubclass(BatchConsumer, driver.Consumer)
