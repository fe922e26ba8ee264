"""``servicepulse topics``: create the Kafka topics (streams/kafka/topics.py).

The worker creates them at start-up too, so running this command is optional; it is for
operators who pre-create topics (or lack the ACL to let the worker).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from streams.kafka.settings import KAFKA_OPTIONS, add_options, resolve
from streams.kafka.topics import delete_topics, ensure_topics


def command(args: argparse.Namespace) -> int:
    settings = resolve(args, KAFKA_OPTIONS)
    if args.delete:
        deleted = delete_topics(settings)
        print(f"deleted: {', '.join(deleted) if deleted else 'nothing'}")
        return 0
    states = ensure_topics(settings)
    for state in states.values():
        what = "created" if state.created else "exists"
        note = ""
        if state.partitions != settings.partitions:
            note = f"  (not {settings.partitions}: the worker follows the topic)"
        print(f"{state.name}: {what}, {state.partitions} partitions{note}")
    sys.stdout.flush()
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "topics",
        help="create the interaction and dead-letter topics on Kafka",
        description="Create the interaction topic and its dead-letter topic (delete policy, "
        "retention, partition count) with the kafka-python admin client, and report the "
        "ticket-state changelog the worker creates. Existing topics are left as they are.",
    )
    add_options(parser, KAFKA_OPTIONS)
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete the interaction, dead-letter and changelog topics instead",
    )
    parser.set_defaults(func=command)
