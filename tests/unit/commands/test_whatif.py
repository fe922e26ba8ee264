"""``servicepulse whatif`` end to end: a history and policy files in, the comparison out (a real
subprocess). Every figure below is computed by hand in the comments."""

from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from streams.cli import main
from tests.support import created, event, reply

ONE_HOUR = "policies:\n  - name: current\n    match: {}\n    targets: {first_response: 1h}\n"
HALF_HOUR = "policies:\n  - name: proposed\n    match: {}\n    targets: {first_response: 30m}\n"

# Six tickets, two teams, 24x7 (the policies' default calendar):
#   billing t1 answered after 20m   1h: met       30m: met
#           t2 answered after 45m       met            breached   <- flips
#           t3 answered after 90m       breached       breached
#   tech    t4 answered after 40m       met            breached   <- flips
#           t5 never answered           breached 11:00 breached 10:30
#           t6 never answered           none           breached 11:50   <- flips
# The history ends at 12:05 (t1 resolved): t6's 1h deadline (12:20) has not passed.
SIX_TICKETS = [
    created("t1", "2026-11-23 09:00"),
    created("t2", "2026-11-23 09:00"),
    created("t3", "2026-11-23 09:00"),
    reply("t1", "2026-11-23 09:20"),
    reply("t2", "2026-11-23 09:45"),
    created("t4", "2026-11-23 10:00", team="tech"),
    created("t5", "2026-11-23 10:00", team="tech"),
    reply("t3", "2026-11-23 10:30"),
    reply("t4", "2026-11-23 10:40"),
    created("t6", "2026-11-23 11:20", team="tech"),
    event("ticket.resolved", "t1", "2026-11-23 12:05"),
]
SIX_TICKETS_TABLE = (
    "team       target          current      proposed     flipped proposed\n"
    "billing    first_response  66.7% (2/3)  33.3% (1/3)  1\n"
    "tech       first_response  50.0% (1/2)  0.0% (0/3)   2\n"
    "all teams  first_response  60.0% (3/5)  16.7% (1/6)  3\n"
    "flipped P: tickets whose outcome (met / breached / none) under P is not under current\n"
)


def servicepulse(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (fast): its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = int(exit_.code or 0)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def servicepulse_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command line for real, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True, timeout=60
    )


def write_history(path: Path, events: Sequence[dict[str, Any] | bytes]) -> str:
    lines = [e if isinstance(e, bytes) else orjson.dumps(e) for e in events]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


def write_policies(tmp_path: Path, **texts: str) -> list[str]:
    """``--policy`` arguments for policy files named after the keywords, in order."""
    args = []
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        args += ["--policy", str(tmp_path / f"{name}.yaml")]
    return args


def test_six_tickets_give_the_hand_computed_table_csv_and_page(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)
    flipped, page = tmp_path / "flipped.csv", tmp_path / "whatif.html"

    result = servicepulse_process(
        "whatif", history, *policies, "--flipped-csv", str(flipped), "--html", str(page)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == SIX_TICKETS_TABLE
    with flipped.open(newline="") as rows:
        assert list(csv.reader(rows)) == [
            ["ticket_id", "target", "cycle", "team", "outcome_current", "outcome_proposed",
             "late_seconds_current", "late_seconds_proposed"],
            ["t2", "first_response", "0", "billing", "met", "breached", "-900", "900"],
            ["t4", "first_response", "0", "tech", "met", "breached", "-1200", "600"],
            # t6 breached under proposed and never answered: how late is not known yet
            ["t6", "first_response", "0", "tech", "none", "breached", "", ""],
        ]  # fmt: skip
    html = page.read_text()
    assert "<title>ServicePulse what-if:" in html and "▼ -43.3 pt" in html
    assert result.stderr.splitlines() == [
        "servicepulse: current: 11 lines: 11 processed, 0 duplicates, 0 held",
        "servicepulse: proposed: 11 lines: 11 processed, 0 duplicates, 0 held",
    ]


def test_a_third_policy_is_compared_with_the_first(tmp_path: Path) -> None:
    # 2h: t3 (90m) is met, t5's deadline 12:00 passed before 12:05: breached, t6 none
    two_hours = ONE_HOUR.replace("current", "lenient").replace("1h", "2h")
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR, lenient=two_hours)

    result = servicepulse("whatif", history, *policies)

    assert result.returncode == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()[1:4]] == [
        ["billing", "first_response", "66.7%", "(2/3)", "33.3%", "(1/3)", "100.0%", "(3/3)",
         "1", "1"],
        ["tech", "first_response", "50.0%", "(1/2)", "0.0%", "(0/3)", "50.0%", "(1/2)", "2", "0"],
        ["all", "teams", "first_response", "60.0%", "(3/5)", "16.7%", "(1/6)", "80.0%", "(4/5)",
         "3", "1"],
    ]  # fmt: skip


def test_a_team_filter_shows_only_that_team(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)

    result = servicepulse("whatif", history, *policies, "--team", "tech")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "tech       first_response  50.0% (1/2)  0.0% (0/3)  2",
        "all teams  first_response  50.0% (1/2)  0.0% (0/3)  2",
        "flipped P: tickets whose outcome (met / breached / none) under P is not under current",
    ]


def test_business_hours_count_only_open_hours(tmp_path: Path) -> None:
    office = (
        "calendars:\n  office:\n    timezone: UTC\n    days: [mon, tue, wed, thu, fri]\n"
        '    hours: ["09:00", "18:00"]\n'
        "policies:\n  - name: NAME\n    match: {}\n    calendar: office\n"
        "    targets: {first_response: TARGET}\n"
    )
    # 2026-11-27 is a Friday. SLA-clock time to the first response:
    #   b1 Fri 17:30 -> Mon 09:45   30m + 45m = 75m   1h: breached (+15m)  2h: met (-45m)
    #   b2 Fri 17:50 -> Mon 09:05   10m +  5m = 15m       met (-45m)           met (-105m)
    #   b3 Sat 10:00 -> Mon 09:50   50m                   met (-10m)           met (-70m)
    #   b4 Mon 08:00 -> Mon 10:30   90m (from 09:00)      breached (+30m)      met (-30m)
    events = [
        created("b1", "2026-11-27 17:30"),
        created("b2", "2026-11-27 17:50"),
        created("b3", "2026-11-28 10:00"),
        created("b4", "2026-11-30 08:00"),
        reply("b2", "2026-11-30 09:05"),
        reply("b1", "2026-11-30 09:45"),
        reply("b3", "2026-11-30 09:50"),
        reply("b4", "2026-11-30 10:30"),
    ]
    history = write_history(tmp_path / "history.jsonl", events)
    policies = write_policies(
        tmp_path,
        hour=office.replace("NAME", "hour").replace("TARGET", "1h"),
        two_hours=office.replace("NAME", "two").replace("TARGET", "2h"),
    )
    flipped = tmp_path / "flipped.csv"

    result = servicepulse("whatif", history, *policies, "--flipped-csv", str(flipped))

    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[1] == "billing    first_response  50.0% (2/4)  100.0% (4/4)  2"
    )
    with flipped.open(newline="") as rows:
        assert list(csv.reader(rows))[1:] == [
            ["b1", "first_response", "0", "billing", "breached", "met", "900", "-2700"],
            ["b4", "first_response", "0", "billing", "breached", "met", "1800", "-1800"],
        ]


def test_an_abandoned_contact_has_no_outcome_unless_its_deadline_passed_first(
    tmp_path: Path,
) -> None:
    # a1 abandoned after 45m: no outcome under 1h; under 30m breached at 09:30, and it stays
    # counted. a2 pending from 09:10 to 10:30, answered at 10:50: 10m + 20m = 30m of SLA time,
    # met under 1h and under 30m (met: not past the target).
    events = [
        created("a1", "2026-11-23 09:00"),
        created("a2", "2026-11-23 09:00"),
        event("ticket.status", "a2", "2026-11-23 09:10", status="pending"),
        event("contact.abandoned", "a1", "2026-11-23 09:45"),
        event("ticket.status", "a2", "2026-11-23 10:30", status="open"),
        reply("a2", "2026-11-23 10:50"),
    ]
    history = write_history(tmp_path / "history.jsonl", events)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)
    flipped = tmp_path / "flipped.csv"

    result = servicepulse("whatif", history, *policies, "--flipped-csv", str(flipped))

    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[1] == "billing    first_response  100.0% (1/1)  50.0% (1/2)  1"
    )
    with flipped.open(newline="") as rows:
        assert list(csv.reader(rows))[1:] == [
            # gave up 45 min in against 30 min: 900 s late
            ["a1", "first_response", "0", "billing", "none", "breached", "", "900"]
        ]


def test_rejected_events_are_counted_and_change_nothing(tmp_path: Path) -> None:
    unknown_type = {**reply("t1", "2026-11-23 09:30"), "type": "ticket.exploded"}
    no_offset = {**reply("t2", "2026-11-23 09:31"), "ts": "2026-11-23T09:31:00"}
    bad = [
        b"this is not json",
        orjson.dumps(unknown_type),
        orjson.dumps(no_offset),
        orjson.dumps(reply("ghost", "2026-11-23 09:32")),  # no such ticket, ever: no_ticket
        orjson.dumps(created("t1", "2026-11-23 09:33")),  # t1 exists: invalid_state
    ]
    events: list[dict[str, Any] | bytes] = [*SIX_TICKETS[:4], *bad, *SIX_TICKETS[4:]]
    history = write_history(tmp_path / "history.jsonl", events)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)

    result = servicepulse("whatif", history, *policies)

    assert result.returncode == 0, result.stderr
    assert result.stdout == SIX_TICKETS_TABLE
    assert result.stderr.splitlines()[0] == (
        "servicepulse: current: 16 lines: 11 processed, 0 duplicates, 0 held, rejected: "
        "bad_timestamp=1, invalid_json=1, invalid_state=1, no_ticket=1, unknown_type=1"
    )


def one_line_error(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert says in result.stderr, result.stderr


def test_an_unreadable_history_is_a_one_line_error(tmp_path: Path) -> None:
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)
    missing = str(tmp_path / "nope.jsonl")
    one_line_error(servicepulse("whatif", missing, *policies), f"cannot read {missing}")
    one_line_error(servicepulse("whatif", str(tmp_path), *policies), "cannot read")


def test_a_bad_or_missing_policy_is_a_one_line_error_before_any_replay(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(
        tmp_path, current=ONE_HOUR, broken="policies:\n  - name: x\n    calendar: nowhere\n"
    )
    one_line_error(servicepulse("whatif", history, *policies), "nowhere")
    missing = str(tmp_path / "gone.yaml")
    one_line_error(
        servicepulse("whatif", history, *policies[:2], "--policy", missing),
        "policy file not found",
    )


def test_fewer_than_two_policies_is_a_one_line_error(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(tmp_path, current=ONE_HOUR)
    one_line_error(servicepulse("whatif", history, *policies), "at least two --policy files")
    one_line_error(servicepulse("whatif", history), "--policy")


def test_an_output_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.jsonl", SIX_TICKETS)
    policies = write_policies(tmp_path, current=ONE_HOUR, proposed=HALF_HOUR)
    out = str(tmp_path / "no" / "such" / "dir" / "flipped.csv")
    one_line_error(servicepulse("whatif", history, *policies, "--flipped-csv", out), out)
    one_line_error(servicepulse("whatif", history, *policies, "--html", out), out)
