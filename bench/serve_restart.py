"""Memory of a ``serve`` restart: the snapshot read record by record against read whole.

    python bench/serve_restart.py [--events 400000] [--seed 7]

Three fresh processes, in one run, on the same simulated events:

- running: the engine after ingesting the events (as ``serve`` holds them), its RSS
  (VmRSS after a collection); it then writes the state twice: as today's line-wise
  snapshot (``Journal.compact``; the peak RSS so far, ingest and compaction) and as the
  one-document snapshot of earlier versions;
- restart: ``JournalStore.recover`` on the line-wise snapshot (today's code);
- baseline: the earlier versions' restart, reproduced here: ``orjson.loads`` of the
  whole document, then every ticket and series adopted from it.

For each restart: its peak RSS (VmHWM) and its RSS once recovered, and the peak as a
ratio of the running RSS, which is the figure to compare between runs and machines.
Recorded figures: docs/deployment.md, "The data directory".
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter, HistogramSeries
from streams.journal import Journal
from streams.serve.state import capture
from streams.serve.store import JournalStore
from streams.simulator import ContactCentre, SimConfig

START = 1_795_000_000.0  # 2026-11-18, a Wednesday


def memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0]) / 1024
    return found


def running(events_file: Path, work: Path) -> dict[str, Any]:
    engine = Engine(DEFAULT_POLICY_SET, exporter := Exporter())
    with open(events_file, "rb") as source:
        for raw in source:
            engine.ingest(raw, event_clock=True)
    gc.collect()
    figures: dict[str, Any] = {"tickets": len(engine.tickets), "rss": memory()["VmRSS"]}
    journal = Journal(work / "lines")
    journal.open(0)
    journal.compact(*capture(engine, exporter))
    journal.close()
    figures["compaction_peak"] = memory()["VmHWM"]  # the peak of ingesting and compacting
    (work / "document").mkdir()
    header, lines = capture(engine, exporter)
    state: dict[str, Any] = {**header, "tickets": [], "counters": {}, "histograms": {}}
    for line in lines:
        kind, body = next(iter(orjson.loads(line[9:]).items()))
        if kind == "ticket":
            state["tickets"].append(body)
        else:
            state[kind + "s"][body[0]] = body[1]
    (work / "document" / "snapshot.json").write_bytes(orjson.dumps({"segment": 2, "state": state}))
    figures["snapshot_mib"] = (work / "lines" / "snapshot.json").stat().st_size / 2**20
    return figures


def restart(work: Path) -> dict[str, Any]:
    engine = Engine(DEFAULT_POLICY_SET, exporter := Exporter())
    store = JournalStore(Journal(work / "lines"), engine, exporter)
    store.recover()
    gc.collect()
    return {"tickets": len(engine.tickets), **memory()}


def baseline(work: Path) -> dict[str, Any]:
    """The restart of earlier versions (streams/serve/state.py's restore before the change)."""
    engine = Engine(DEFAULT_POLICY_SET, exporter := Exporter())
    document = orjson.loads((work / "document" / "snapshot.json").read_bytes())
    state = document["state"]
    for ticket in state["tickets"]:
        engine.load(ticket)
    for name, series in state["counters"].items():
        for labels, value in series:
            exporter.counters[name][tuple(labels)] = float(value)
    for name, hseries in state["histograms"].items():
        for labels, buckets, total, count in hseries:
            histogram = HistogramSeries(len(buckets) - 1)
            histogram.buckets, histogram.sum, histogram.count = list(buckets), total, count
            exporter.histograms[name][tuple(labels)] = histogram
    del document, state
    gc.collect()
    return {"tickets": len(engine.tickets), **memory()}


def child(mode: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, *args], capture_output=True, check=True
    )
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        work = Path(rest[-1])
        result = {"running": lambda: running(Path(rest[0]), work), "restart": lambda: restart(work),
                  "baseline": lambda: baseline(work)}[mode]()  # fmt: skip
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        events_file = work / "events.jsonl"
        centre = ContactCentre(SimConfig(seed=args.seed, arrivals_per_hour=2000.0), START)
        with open(events_file, "wb") as out:
            for n, event in enumerate(centre.events()):
                if n >= args.events:
                    break
                out.write(orjson.dumps(event) + b"\n")
        run = child("running", str(events_file), str(work))
        new = child("restart", str(work))
        old = child("baseline", str(work))
    assert new["tickets"] == old["tickets"] == run["tickets"], (run, new, old)
    print(f"{args.events} events, {run['tickets']} tickets in memory, "
          f"snapshot {run['snapshot_mib']:.0f} MiB; running RSS {run['rss']:.0f} MiB, "
          f"peak with the compaction {run['compaction_peak']:.0f} MiB")  # fmt: skip
    for name, figures in (("baseline (whole document)", old), ("restart (line by line)", new)):
        print(
            f"{name:27s} peak {figures['VmHWM']:6.0f} MiB = {figures['VmHWM'] / run['rss']:.2f}"
            f" x running; after {figures['VmRSS']:6.0f} MiB"
        )


if __name__ == "__main__":
    main()
