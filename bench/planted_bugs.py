"""Plant the seven bugs of issue 17 one at a time and check that the fast tests catch each.

    python bench/planted_bugs.py [pytest paths...]

(default: tests/unit/core and tests/unit/export/test_exporter_gauges.py). The tests must
pass first.

Each bug is a one-line text replacement in the source; the file is restored
afterwards (from memory, then checked with ``git diff --quiet``). Prints one line a bug:
CAUGHT (pytest failed) or MISSED; exits non-zero if any bug was missed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, file, text, replacement)
BUGS = [
    (
        "pause measured in wall time",
        "streams/core/ticket.py",
        "self.elapsed += calendar.counted(self.since, at) if at > self.since else 0.0",
        "self.elapsed += (at - self.since) if at > self.since else 0.0",
    ),
    (
        "customer message does not resume a pending ticket",
        "streams/core/engine.py",
        "        if ticket.paused:  # as in Zendesk",
        "        if False:  # as in Zendesk",
    ),
    (
        "ticket.assigned ignores its team",
        "streams/core/engine.py",
        '        team = event.data.get("team")\n        if team and team != ticket.team:',
        '        team = event.data.get("team")\n        if False:',
    ),
    (
        "policy's at_risk ignored for 0.8",
        "streams/core/engine.py",
        "derive_gauges(self.open.values(), now, self.policies.at_risk, self._held)",
        "derive_gauges(self.open.values(), now, 0.8, self._held)",
    ),
    (
        "repeated event_id among held events counted twice",
        "streams/core/engine.py",
        '        if ticket.state == ORPHAN and event.type != "ticket.created":\n'
        "            ticket.seen += digest",
        '        if ticket.state == ORPHAN and event.type != "ticket.created":\n            pass',
    ),
    (
        "negative work_seconds rejected with the wrong reason",
        "streams/core/events.py",
        'raise Rejected("out_of_range", f"{name} must be >= 0")',
        'raise Rejected("invalid_value", f"{name} must be >= 0")',
    ),
    (
        "drained gauge series vanish",
        "streams/export/exporter.py",
        "        known |= keys\n",
        "        known.clear()\n        known |= keys\n",
    ),
    (
        "rejection reasons not exposed at 0 from the start",
        "streams/export/exporter.py",
        '            self.counters["events_rejected"][(reason,)] = 0.0',
        "            pass",
    ),
]


def pytest(paths: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-rf", "-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def main(paths: list[str]) -> int:
    clean = pytest(paths)
    if clean.returncode != 0:  # a failure without a planted bug would "catch" every bug
        print("the tests fail without a planted bug:\n" + clean.stdout[-2000:])
        return 2
    missed = 0
    for name, rel, text, replacement in BUGS:
        path = ROOT / rel
        original = path.read_text()
        if original.count(text) != 1:
            print(f"CANNOT PLANT {name}: text not found once in {rel}")
            missed += 1
            continue
        path.write_text(original.replace(text, replacement))
        try:
            run = pytest(paths)
        finally:
            path.write_text(original)
        failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
        if run.returncode == 0:
            missed += 1
            print(f"MISSED  {name}")
        else:
            print(f"CAUGHT  {name}: {failed[0] if failed else run.stdout.splitlines()[-1]}")
    restored = subprocess.run(["git", "diff", "--quiet", "--", "streams"], cwd=ROOT)
    if restored.returncode != 0:
        print("the source differs from git after the run: restore it with git checkout streams")
        return 2
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["tests/unit/core", "tests/unit/export/test_exporter_gauges.py"]))
