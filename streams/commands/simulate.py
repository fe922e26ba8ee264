"""``servicepulse simulate``: produce simulator events (or a JSONL file) to Kafka.

Events are produced with kafka-python, keyed by ``ticket_id`` (so every event of a
ticket lands on one partition, in order), ``acks=all`` and the idempotent producer
(where the broker supports it: Kafka >= 0.11).

Pacing: the simulated clock starts at "now" (minus ``--backfill``) and runs at
``--speed`` x wall time; an event is sent when its ``ts`` is due, so at speed 1 the event
times are the wall-clock times of sending. ``--rate`` sets the simulated contact-centre
size so that about that many events per second come out at speed 1 (arrivals are then
flat over the day); ``--arrivals-per-hour`` sets it directly (with the daily profile).
``--fast`` sends as fast as the broker takes them (event times still simulated).
``--file`` produces the lines of a JSONL file instead (bad lines included, as they are:
a line that is not an event is sent without a key).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

import orjson

from streams.console.progress import Progress
from streams.core.events import parse_ts
from streams.errors import UserError
from streams.kafka.security import kafka_python_options
from streams.kafka.settings import KAFKA_OPTIONS, Settings, add_options, resolve
from streams.simulator import SCENARIOS, ContactCentre, SimConfig
from streams.simulator.options import add_staffing_options

EVENTS_PER_TICKET = 7.9  # mean events per contact in the simulator's model (measured)
SIM_OPTIONS = KAFKA_OPTIONS  # the simulator needs what every Kafka adapter needs


def producer(settings: Settings, **extra: Any) -> Any:
    """A kafka-python producer: acks=all, idempotent, small linger for batching."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 10,
        "batch_size": 256 * 1024,
        "compression_type": None,
        "client_id": f"{settings.app_id}-simulate",
    }
    options.update(kafka_python_options(settings))
    options.update(extra)
    try:
        return KafkaProducer(**options)
    except KafkaError as exc:
        raise UserError(f"cannot reach Kafka at {settings.broker}: {exc}") from None


def key_of(line: bytes) -> bytes | None:
    """The message key of a JSONL line: its ticket_id, an agent.status's agent_id (None
    when there is none)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    key = data.get("agent_id" if data.get("type") == "agent.status" else "ticket_id")
    return key.encode() if isinstance(key, str) and key else None


def file_messages(path: str) -> Iterator[tuple[bytes | None, bytes, float | None]]:
    try:
        stream = open(path, "rb")  # noqa: SIM115 - a generator closes it
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        for line in stream:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield key_of(line), line, None


def sim_messages(config: SimConfig, start: float) -> Iterator[tuple[bytes | None, bytes, float]]:
    for event in ContactCentre(config, start).events():
        yield event["ticket_id"].encode(), orjson.dumps(event), parse_ts(event["ts"])


def run(
    settings: Settings,
    messages: Iterator[tuple[bytes | None, bytes, float | None]],
    *,
    pace: tuple[float, float, float] | None,
    limit: int | None,
    duration: float | None,
    out: IO[bytes] | None = None,
    show_progress: bool = False,
) -> int:
    """Send ``messages``; ``pace`` = (sim start, wall start, speed) or None (as fast as possible).

    Returns the number of messages sent (all acknowledged).
    """
    from kafka.errors import KafkaError

    kafka = producer(settings)
    progress = Progress("simulate", limit, unit="events") if show_progress else None
    sent = 0
    began = time.monotonic()
    last_line = began
    errors: list[BaseException] = []
    try:
        for key, value, ts in messages:
            if limit is not None and sent >= limit:
                break
            now = time.monotonic()
            if duration is not None and now - began >= duration:
                break
            if pace is not None and ts is not None:
                sim0, wall0, speed = pace
                wait = wall0 + (ts - sim0) / speed - time.time()
                if wait > 0:
                    kafka.flush()  # what is due is on the broker before we sleep
                    if duration is not None:
                        wait = min(wait, max(0.0, duration - (now - began)))
                    time.sleep(wait)
                    if duration is not None and time.monotonic() - began >= duration:
                        break
            future = kafka.send(settings.topic, key=key, value=value)
            future.add_errback(errors.append)
            if out is not None:
                out.write(value + b"\n")
            sent += 1
            if errors:
                raise errors[0]
            if progress is not None and sent % 500 == 0:
                progress.update(sent)
            elif not show_progress and now - last_line >= 10.0:
                last_line = now
                rate = sent / max(now - began, 1e-9)
                print(f"simulate: {sent:,} events, {rate:,.0f}/s", file=sys.stderr, flush=True)
        kafka.flush()
        if errors:
            raise errors[0]
    except KafkaError as exc:
        raise UserError(
            f"producing to {settings.topic} on {settings.broker} failed: {exc}"
        ) from None
    finally:
        kafka.close(timeout=10)
    elapsed = time.monotonic() - began
    summary = f"{sent:,} events to {settings.topic} ({sent / max(elapsed, 1e-9):,.0f}/s)"
    if progress is not None:
        progress.done(summary)
    else:
        print(f"simulate: done in {elapsed:.1f}s — {summary}", file=sys.stderr, flush=True)
    return sent


def command(args: argparse.Namespace) -> int:
    settings = resolve(args, SIM_OPTIONS)
    if args.speed <= 0:
        raise UserError("--speed must be positive")
    if args.rate is not None and args.rate <= 0:
        raise UserError("--rate must be positive")
    if args.events is not None and args.events < 0:
        raise UserError("--events must be >= 0")
    if args.create_topics:
        from streams.kafka.topics import ensure_topics

        ensure_topics(settings)
    wall0 = time.time()
    sim0 = wall0 - args.backfill
    messages: Iterator[tuple[bytes | None, bytes, float | None]]
    if args.file:
        messages = file_messages(args.file)
    else:
        if args.arrivals_per_hour is not None:
            arrivals, flat = args.arrivals_per_hour, False
        else:
            arrivals, flat = (args.rate or 20.0) * 3600.0 / EVENTS_PER_TICKET, True
        try:
            config = SimConfig(
                seed=args.seed,
                scenario=args.scenario,
                arrivals_per_hour=arrivals,
                flat_arrivals=flat,
                seat_safety=args.seat_safety,
                greet_first=args.greet_first,
                outage_team=args.outage_team,
                outage_start=args.backfill + args.outage_start,
                outage_end=None if args.outage_end is None else args.backfill + args.outage_end,
            )
            ContactCentre(config, sim0)  # validates the config
        except ValueError as exc:
            raise UserError(str(exc)) from None
        messages = sim_messages(config, sim0)
    # simulated time = wall0 + (wall - wall0) x speed; the backfilled part is due at once
    pace = None if args.fast or args.file else (wall0, wall0, args.speed)
    out = None
    if args.out:
        try:
            out = open(args.out, "wb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    try:
        run(
            settings,
            messages,
            pace=pace,
            limit=args.events,
            duration=args.duration,
            out=out,
            show_progress=sys.stderr.isatty(),
        )
    finally:
        if out is not None:
            out.close()
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "simulate",
        help="produce simulated contact-centre events to Kafka",
        description="Produce realistic interaction events (the simulator of `demo`) to the "
        "interaction topic with kafka-python: keyed by ticket_id, acks=all, idempotent. "
        "Paced on the simulated clock (--speed x wall time) unless --fast.",
    )
    add_options(parser, SIM_OPTIONS)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="about this many events per second at --speed 1 (sizes the simulated "
        "contact centre; default 20)",
    )
    parser.add_argument(
        "--arrivals-per-hour",
        type=float,
        default=None,
        help="contacts per hour at the daily peak (instead of --rate; daily profile applies)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many wall seconds (default: no limit)",
    )
    parser.add_argument(
        "--events", type=int, default=None, help="stop after this many events (default: no limit)"
    )
    parser.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
    add_staffing_options(parser)
    parser.add_argument(
        "--outage-team",
        default="technical",
        help="team that stops answering in the outage scenario",
    )
    parser.add_argument(
        "--outage-start", type=float, default=0.0, help="outage start, simulated seconds after now"
    )
    parser.add_argument(
        "--outage-end",
        type=float,
        default=None,
        help="outage end, simulated seconds after now (default: never)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per wall second (default 1: event times = wall time)",
    )
    parser.add_argument(
        "--backfill",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="start the simulation this many seconds in the past and send that part at once",
    )
    parser.add_argument("--fast", action="store_true", help="no pacing: send as fast as possible")
    parser.add_argument(
        "--file", metavar="JSONL", help="produce the lines of this JSONL file instead of simulating"
    )
    parser.add_argument(
        "--out", metavar="JSONL", help="also write every event sent to this JSONL file (for replay)"
    )
    parser.add_argument(
        "--create-topics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the topics if missing (default: yes)",
    )
    parser.set_defaults(func=command)
