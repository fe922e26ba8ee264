"""Plant once-uncaught bugs one at a time and check that the unit tests of their area catch each.

    python bench/planted_bugs.py                   # every bug, each against its own tests
    python bench/planted_bugs.py --only backfill   # the bugs whose name contains "backfill"
    python bench/planted_bugs.py tests/unit/core   # every bug against these tests instead

Two sets (docs/mutation.md): the eight plantings of the seven bugs the core's tests once
missed, checked against tests/unit/core and the exporter's gauge tests, and one plausible
one-line slip in each of the newer modules (serve's journal, the snapshot, the ticket
alerts, backfill, the report, the intake limits, a connector), checked against the unit
tests of its area. The tests must pass first.

Each bug is a text replacement in the source (the text must be found exactly once); the
file is restored afterwards (from memory, then checked with ``git diff --quiet``). Prints
one line a bug: CAUGHT with the first failing test, MISSED, or CANNOT PLANT when the text
is gone (the code moved: update the bug); exits 1 if any bug was missed or not planted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE_TESTS = ("tests/unit/core", "tests/unit/export/test_exporter_gauges.py")


@dataclass(frozen=True)
class Bug:
    name: str
    file: str
    text: str
    replacement: str
    tests: tuple[str, ...] = CORE_TESTS


BUGS = [
    # the core's bugs the fast tests once let through
    Bug(
        "pause measured in wall time",
        "streams/core/ticket.py",
        "self.elapsed += calendar.counted(self.since, at) if at > self.since else 0.0",
        "self.elapsed += (at - self.since) if at > self.since else 0.0",
    ),
    Bug(
        "customer message does not resume a pending ticket",
        "streams/core/engine.py",
        "        if ticket.paused:  # as in Zendesk",
        "        if False:  # as in Zendesk",
    ),
    Bug(
        "ticket.assigned ignores its team",
        "streams/core/engine.py",
        "        if team and self._teams.label(team) != ticket.team:",
        "        if False:",
    ),
    Bug(
        "policy's at_risk ignored for 0.8",
        "streams/core/engine.py",
        "derive_gauges(self.open.values(), now, self.policies.at_risk, self._held)",
        "derive_gauges(self.open.values(), now, 0.8, self._held)",
    ),
    Bug(
        "repeated event_id among held events counted twice",
        "streams/core/engine.py",
        '            return self.reject(text, "no_ticket")\n        ticket.remember(digest)\n',
        '            return self.reject(text, "no_ticket")\n',
    ),
    Bug(
        "negative work_seconds rejected with the wrong reason",
        "streams/core/events.py",
        'raise Rejected("out_of_range", f"{name} must be >= 0")',
        'raise Rejected("invalid_value", f"{name} must be >= 0")',
    ),
    Bug(
        "drained gauge series vanish",
        "streams/export/exporter.py",
        "for labels, seen in known.items() if seen < horizon]",
        "for labels, seen in known.items() if seen < self._at]",
    ),
    Bug(
        "rejection reasons not exposed at 0 from the start",
        "streams/export/exporter.py",
        '            self.counters["events_rejected"][(reason,)] = 0.0',
        "            pass",
    ),
    # one slip in each newer module, against the unit tests of its area
    Bug(
        "serve applies a batch whose journal write failed",
        "streams/serve/store.py",
        "                    future.set_exception(error)\n            return\n",
        "                    future.set_exception(error)\n",
        ("tests/unit/serve", "tests/unit/test_journal.py"),
    ),
    Bug(
        "a journal write whose fsync failed is not cut off",
        "streams/journal.py",
        "                os.ftruncate(self._fd, self.size)\n",
        "                pass\n",
        ("tests/unit/serve", "tests/unit/test_journal.py"),
    ),
    Bug(
        "a restored histogram takes its sum for its count",
        "streams/serve/state.py",
        "histogram.count = int(count)",
        "histogram.count = int(total)",
        ("tests/unit/serve", "tests/unit/test_journal.py"),
    ),
    Bug(
        "a gone ticket alert ends four resends later instead of now",
        "streams/alerting/pusher.py",
        "batch[key] = (gone, now, wall, wall_now)",
        "batch[key] = (gone, now, wall, ends)",
        ("tests/unit/alerting",),
    ),
    Bug(
        "backfill's last sample counts breaches beyond the end of input",
        "streams/commands/backfill.py",
        "self._sample(end, advance=False)",
        "self._sample(end)",
        (
            "tests/unit/commands/test_backfill.py",
            "tests/unit/commands/test_backfill_last_sample.py",
        ),
    ),
    Bug(
        "the report's default week is the week not yet complete",
        "streams/report/figures.py",
        "days=today.weekday() + 7",
        "days=today.weekday()",
        ("tests/unit/report",),
    ),
    Bug(
        "an intake limit refuses its exact boundary",
        "streams/core/events.py",
        "if size > MAX_EVENT_BYTES:",
        "if size >= MAX_EVENT_BYTES:",
        ("tests/unit/core",),
    ),
    Bug(
        "Chatwoot's CSAT scale loses its 5",
        "streams/connectors/chatwoot.py",
        "not 1 <= rating <= 5",
        "not 1 <= rating < 5",
        ("tests/unit/connectors",),
    ),
]


def pytest(paths: list[str], *, stop_at_first: bool = True) -> subprocess.CompletedProcess[str]:
    # this checkout's streams/, whatever the venv has installed
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    first = ["-x"] if stop_at_first else []
    # its own tmp dir: pytest's shared default is deleted under a concurrent run
    with tempfile.TemporaryDirectory(prefix="planted-bugs-") as tmp:
        return subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-q", *first, "-rf", "-p", "no:cacheprovider"),
                *(f"--basetemp={tmp}/pytest", *paths),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )


def plant(bug: Bug, paths: list[str]) -> str:
    """CAUGHT (with the first failing test), MISSED or CANNOT PLANT, for one bug."""
    path = ROOT / bug.file
    original = path.read_text()
    if original.count(bug.text) != 1:
        return f"CANNOT PLANT {bug.name}: its text is not found once in {bug.file}"
    path.write_text(original.replace(bug.text, bug.replacement))
    try:
        run = pytest(paths or list(bug.tests))
    finally:
        path.write_text(original)
    if run.returncode == 0:
        return f"MISSED  {bug.name}"
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    return f"CAUGHT  {bug.name}: {failed[0] if failed else run.stdout.splitlines()[-1]}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="only the bugs whose name contains this")
    parser.add_argument("paths", nargs="*", help="pytest paths for every bug (default: its own)")
    args = parser.parse_args(argv)
    bugs = [bug for bug in BUGS if args.only in bug.name]
    every_path = args.paths or sorted({p for bug in bugs for p in bug.tests})
    clean = pytest(every_path, stop_at_first=False)
    if clean.returncode != 0:  # a failure without a planted bug would "catch" every bug
        print("the tests fail without a planted bug:\n" + clean.stdout[-2000:])
        return 2
    results = []
    for bug in bugs:
        results.append(plant(bug, args.paths))
        print(results[-1], flush=True)
    restored = subprocess.run(["git", "diff", "--quiet", "--", "streams"], cwd=ROOT)
    if restored.returncode != 0:
        print("the source differs from git after the run: restore it with git checkout streams")
        return 2
    caught = sum(line.startswith("CAUGHT") for line in results)
    print(f"{caught} of {len(results)} caught")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
