"""The next-hour Erlang C forecast against what happened: the "Anonymous Bank" call centre,
August 1999 (../shared/datasets/technion-anonymousbank-aug1999, not vendored).

For every hour of one week (default Sunday 22 to Saturday 28 August, the centre's week
starting on Sunday) with at least ``--min-calls`` queued calls, the forecast is made at the
start of the hour the way the rules do it (docs/forecast.md), from what was known then:

* arrivals: 0.5 x the same next hour of the past weeks (up to 4; the month gives 3 for this
  week) + 0.5 x the last hour's queued calls;
* AHT: mean service time of the calls served in the 24 hours before (the week before
  after the weekend close);
* agents: the distinct agents who served a call in the hour before ("on duty now");

and compared with the service level that happened in the hour: calls answered within 20 s
of joining the queue / (answered + abandoned, less abandons within 10 s), the contract's
definition. A second forecast uses the hour's own arrivals, AHT and agents (perfect inputs),
separating the model's error from the inputs'. Prints a table and the mean absolute errors;
``--svg FILE`` draws the week.

Calibration (``--fit``): the agents on duty are multiplied by a share (rounded) before the
forecast, the share that gives the smallest mean absolute error over the weeks BEFORE the week
shown (1 to 21 August: an honest out-of-sample check), then the week is forecast with it.
``--agent-share S`` forecasts with a given share.

    .venv/bin/python bench/forecast_bank.py \
        ../shared/datasets/technion-anonymousbank-aug1999/anonymousbank_1999-08_calls.csv \
        --svg docs/forecast-bank-week.svg
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from streams.core.erlang import Forecast

THRESHOLD = 20.0  # seconds
SHORT_ABANDON = 10.0  # seconds
WEIGHT = 0.5  # share of the past weeks' next hour in the arrivals
WEEKS = 4


@dataclass
class Call:
    queued: datetime  # joined the queue
    outcome: str  # AGENT or HANG
    wait: float  # seconds in queue
    service: float  # seconds with an agent
    server: str


def seconds_of(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def read_calls(path: Path) -> list[Call]:
    calls = []
    with open(path, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            never_queued = row["q_start"] == "0:00:00"
            if row["outcome"] not in ("AGENT", "HANG") or (
                never_queued and row["outcome"] == "HANG"
            ):
                continue  # PHANTOM, or hung up in the VRU: never in the queue
            # answered straight from the VRU (no queue): offered when it left the VRU, no wait
            joined = seconds_of(row["vru_exit"] if never_queued else row["q_start"])
            day = date(1999, 8, int(row["date"][-2:]))
            queued = datetime(day.year, day.month, day.day) + timedelta(seconds=joined)
            if joined < seconds_of(row["vru_entry"]):
                queued += timedelta(days=1)  # crossed midnight in the VRU
            calls.append(
                Call(
                    queued,
                    row["outcome"],
                    float(row["q_time"]),
                    float(row["ser_time"]),
                    row["server"],
                )
            )
    return calls


def hour_of(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


Row = tuple[datetime, int, float, float, int, int, float, float, float]


def hourly(
    by_hour: dict[datetime, list[Call]], start: datetime, days: int, min_calls: int, share: float
) -> list[Row]:
    """One row per hour with at least ``min_calls`` queued calls: the inputs, the actual
    service level, the forecast an hour ahead and Erlang C on the hour's own inputs."""

    def served_in(begin: datetime, end: datetime) -> list[Call]:
        return [
            c for h, cs in by_hour.items() if begin <= h < end for c in cs if c.outcome == "AGENT"
        ]

    rows: list[Row] = []
    for n in range(days * 24):
        hour = start + timedelta(hours=n)
        now = by_hour.get(hour, [])
        if len(now) < min_calls:
            continue
        answered = [c for c in now if c.outcome == "AGENT"]
        counted = [c for c in now if c.outcome == "AGENT" or c.wait >= SHORT_ABANDON]
        actual = sum(1 for c in answered if c.wait <= THRESHOLD) / len(counted)
        last = len(by_hour.get(hour - timedelta(hours=1), []))
        past = [
            len(by_hour.get(hour - timedelta(weeks=w), []))
            for w in range(1, WEEKS + 1)
            if hour - timedelta(weeks=w) >= datetime(1999, 8, 1)
        ]
        arrivals = WEIGHT * sum(past) / len(past) + (1 - WEIGHT) * last if past else last
        # the day's AHT; after the weekend close (Fri 14:00 to Sat ~20:00), the week's
        day = served_in(hour - timedelta(hours=24), hour) or served_in(hour - timedelta(7), hour)
        if not day:
            continue  # the month's first hours: no handle time known yet
        aht = sum(c.service for c in day) / len(day)
        on_duty = {
            c.server for c in by_hour.get(hour - timedelta(hours=1), []) if c.outcome == "AGENT"
        }
        agents_forecast = round(len(on_duty) * share)
        forecast = Forecast(arrivals / 3600, aht, agents_forecast, THRESHOLD).service_level
        own_aht = sum(c.service for c in answered) / len(answered) if answered else aht
        agents = len({c.server for c in answered})
        ideal = Forecast(len(now) / 3600, own_aht, agents, THRESHOLD).service_level
        rows.append((hour, len(now), arrivals, aht, len(on_duty), agents, actual, forecast, ideal))
    return rows


def errors(rows: list[Row]) -> tuple[float, float, float]:
    """Mean absolute error and bias of the forecast, MAE of Erlang C on perfect inputs."""
    mae = sum(abs(r[7] - r[6]) for r in rows) / len(rows)
    bias = sum(r[7] - r[6] for r in rows) / len(rows)
    ideal_mae = sum(abs(r[8] - r[6]) for r in rows) / len(rows)
    return mae, bias, ideal_mae


def fitted_share(rows_for: Callable[[float], list[Row]]) -> float:
    """The agent share in 0.30 ... 1.00 (steps of 0.01) with the smallest MAE on ``rows_for``."""
    return min((errors(rows_for(s / 100))[0], s / 100) for s in range(30, 101))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls", type=Path)
    parser.add_argument("--week", default="1999-08-22", help="first day (a Sunday)")
    parser.add_argument("--min-calls", type=int, default=20)
    parser.add_argument("--agent-share", type=float, default=1.0)
    parser.add_argument("--fit", action="store_true", help="fit the agent share before the week")
    parser.add_argument("--svg", type=Path)
    args = parser.parse_args()
    by_hour: dict[datetime, list[Call]] = defaultdict(list)
    for call in read_calls(args.calls):
        by_hour[hour_of(call.queued)].append(call)
    start = datetime.fromisoformat(args.week)
    share = args.agent_share
    if args.fit:
        first = datetime(1999, 8, 2)  # the month's first Monday: a day of AHT known before
        days = (start - first).days
        share = fitted_share(lambda s: hourly(by_hour, first, days, args.min_calls, s))
        fit_mae = errors(hourly(by_hour, first, days, args.min_calls, share))[0]
        print(f"agent share fitted on {first:%d %b} to {start - timedelta(1):%d %b}: "
              f"{share:.2f} (MAE there {fit_mae:.1%})")  # fmt: skip
    rows = hourly(by_hour, start, 7, args.min_calls, share)

    print(
        "hour              calls  fcst-calls  AHT  agents(before/in)  actual  forecast"
        "  perfect-inputs"
    )
    for hour, n, arrivals, aht, before, agents, actual, forecast, ideal in rows:
        print(
            f"{hour:%a %d %H:00}   {n:5d}  {arrivals:10.1f}  {aht:4.0f}  {before:6d}/{agents:<9d}"
            f"  {actual:6.1%}  {forecast:8.1%}  {ideal:8.1%}"
        )
    mae, bias, ideal_mae = errors(rows)
    print(f"\n{len(rows)} hours, agent share {share:.2f}; forecast MAE {mae:.1%} "
          f"(bias {bias:+.1%}); with the hour's own inputs MAE {ideal_mae:.1%}")  # fmt: skip
    if args.svg:
        args.svg.write_text(svg(rows, mae, ideal_mae), encoding="utf-8")


def svg(rows: list[Row], mae: float, ideal_mae: float) -> str:
    width, height, left, top, bottom = 900, 320, 40, 44, 40
    n = len(rows)
    x = [left + i * (width - left - 10) / max(1, n - 1) for i in range(n)]

    def y(v: float) -> float:
        return top + (1 - v) * (height - top - bottom)

    def line(index: int, colour: str, dash: str = "") -> str:
        points = " ".join(f"{x[i]:.1f},{y(r[index]):.1f}" for i, r in enumerate(rows))
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{extra} points="{points}"/>'
        )

    grid = "".join(
        f'<line x1="{left}" x2="{width - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
        f'<text x="4" y="{y(v) + 4:.1f}" font-size="10">{v:.0%}</text>'
        for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)
    )
    days = "".join(
        f'<text x="{x[i]:.1f}" y="{height - 22}" font-size="10">{r[0]:%a %d}</text>'
        for i, r in enumerate(rows)
        if i == 0 or r[0].date() != rows[i - 1][0].date()
    )
    legend = (
        f'<text x="{left}" y="14" font-size="12">Service level in 20 s, each hour with calls, '
        "Anonymous Bank, 22-28 Aug 1999</text>"
        f'<text x="{left}" y="30" font-size="11"><tspan fill="#222">actual</tspan>, '
        f'<tspan fill="#d62728">forecast an hour ahead (MAE {mae:.1%})</tspan>, '
        f'<tspan fill="#1f77b4">Erlang C on the hour\'s own inputs (MAE {ideal_mae:.1%})'
        "</tspan></text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif">{grid}{days}{legend}'
        f"{line(6, '#222')}{line(7, '#d62728')}{line(8, '#1f77b4', '4 3')}</svg>\n"
    )


if __name__ == "__main__":
    main()
