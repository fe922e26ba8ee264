"""The report's tickets from the ledger: a small SQLite ledger of hand-made rows, and the
breaches and detractors the page and the text part list, in their order, with links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.core.records import Outcome, Survey
from streams.ledger.store import open_store
from streams.report.figures import TeamWeek, WeekReport, total_of
from streams.report.render import render_html, render_text, ticket_sections
from streams.report.tickets import TICKETS_PER_TEAM, is_detractor, read_week

START = 1_794_182_400.0  # Monday 2026-11-09 00:00 UTC, 2026-W46
WEEK = 7 * 86400.0
H = 3600.0
TEMPLATE = "https://hd.example.com/t/{ticket_id}?view=1&lang=en"


def breach(
    ticket: str,
    team: str,
    deadline: float,
    late: float,
    target: str = "resolution",
    agent: str = "ana",
    stopped: float | None = None,
    outcome: str = "breached",
) -> Outcome:
    stop = deadline + late if stopped is None else stopped
    return Outcome(ticket, target, 0, team, agent, "email", "normal", "standard", "inquiry",
                   "default", deadline - H, deadline, stop, outcome, late)  # fmt: skip


def survey(event: str, ticket: str, team: str, ts: float, kind: str, score: int) -> Survey:
    return Survey(event, ticket, ts, team, "bo", "chat", kind, score)


# a breach still running (stopped is None), 1.5 h late so far, of a team Prometheus does not know
RUNNING = Outcome("R-1", "resolution", 0, "ghost", "cy", "web", "high", "vip", "complaint",
                  "default", START, START + 2 * H, None, "breached", 5400.0)  # fmt: skip

RECORDS: list[Outcome | Survey] = [
    # billing: four breaches of the week, in no particular order
    breach("B-1", "billing", START + H, 7200.0, agent="ana"),  # 2.0 h
    breach("B-2", "billing", START + 24 * H, 600.0, target="first_response", agent="bo"),
    breach("B-3", "billing", START + 48 * H, 90000.0, target="next_reply", agent=""),
    breach("a b/c", "billing", START + 3 * H, 3600.0),  # 1.0 h; quoted in its link
    # ... and rows that are not the week's breaches
    breach("B-met", "billing", START + 5 * H, -60.0, outcome="met", stopped=START + 5 * H),
    breach("B-before", "billing", START - 1.0, 999_999.0),  # deadline the Sunday before
    breach("B-after", "billing", START + WEEK, 888_888.0),  # the next Monday 00:00: excluded
    # support: eight breaches, 100 s .. 700 s late, two tied at 400 s
    *(breach(f"S-{i}", "support", START + i * H, 100.0 * i) for i in (1, 2, 3, 5, 6, 7)),
    breach("S-0", "support", START + 9 * H, 400.0),  # as late as S-4: by ticket id
    breach("S-4", "support", START + 4 * H, 400.0),
    RUNNING,
    # surveys
    survey("e1", "B-1", "billing", START + 100.0, "nps", 6),  # detractor
    survey("e2", "B-2", "billing", START + 50.0, "csat", 2),  # detractor, earlier
    survey("e3", "B-3", "billing", START + 20.0, "csat", 3),  # neutral
    survey("e4", "B-4", "billing", START + 30.0, "nps", 7),  # passive
    survey("e5", "B-5", "billing", START + 40.0, "ces", 1),  # CES: not judged
    survey("e6", "B-6", "billing", START - 10.0, "nps", 0),  # the week before
    survey("e7", "<T&'7>", "support", START + 6 * 86400.0, "csat", 1),  # escaped
]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite3"
    store = open_store(str(path))
    store.write(RECORDS)
    store.close()
    return path


def report() -> WeekReport:
    """support busier than billing; ghost unknown to Prometheus."""
    this = {"billing": TeamWeek({"created": 100.0}), "support": TeamWeek({"created": 200.0})}
    before = {"billing": TeamWeek({"created": 90.0})}
    return WeekReport("2026-W46", START, this, before, total_of(this.values()),
                      total_of(before.values()), [])  # fmt: skip


def tickets_of(page: str, table: str, team: str) -> list[str]:
    found = re.search(rf"data-table='{table}' data-team='{team}'>(.*?)</table>", page, re.S)
    assert found is not None, (table, team)
    return re.findall(r"data-ticket='([^']*)'", found.group(1))


def test_the_detractor_rule_is_nps_0_to_6_and_csat_1_to_2() -> None:
    assert [s for s in range(11) if is_detractor("nps", s)] == [0, 1, 2, 3, 4, 5, 6]
    assert [s for s in range(1, 6) if is_detractor("csat", s)] == [1, 2]
    assert not any(is_detractor("ces", s) for s in range(1, 8))


def test_the_weeks_breaches_and_detractors_are_read_per_team(ledger: Path) -> None:
    store = open_store(str(ledger), create=False)
    try:
        week = read_week(store, START)
    finally:
        store.close()
    billing = week.teams["billing"]
    # late: 90000 > 7200 > 3600 > 600; met, before and after the week left out
    assert [b.ticket_id for b in billing.breaches] == ["B-3", "B-1", "a b/c", "B-2"]
    assert billing.breach_count == 4
    # oldest first: csat 2 at +50 s, nps 6 at +100 s
    assert [d.event_id for d in billing.detractors] == ["e2", "e1"]
    assert billing.detractor_count == 2
    support = week.teams["support"]
    assert TICKETS_PER_TEAM == 5
    # 700, 600, 500, then the 400s by ticket id: S-0 before S-4; 300 .. 100 not listed
    assert [b.ticket_id for b in support.breaches] == ["S-7", "S-6", "S-5", "S-0", "S-4"]
    assert support.breach_count == 8
    assert [d.ticket_id for d in support.detractors] == ["<T&'7>"]
    assert [b.ticket_id for b in week.teams["ghost"].breaches] == ["R-1"]
    assert set(week.teams) == {"billing", "support", "ghost"}


def test_the_page_lists_them_in_order_with_quoted_links(ledger: Path) -> None:
    store = open_store(str(ledger), create=False)
    week = read_week(store, START)
    store.close()
    page = render_html(report(), "http://prom", tickets=week, template=TEMPLATE)
    assert tickets_of(page, "breaches", "billing") == ["B-3", "B-1", "a b/c", "B-2"]
    assert tickets_of(page, "breaches", "support") == ["S-7", "S-6", "S-5", "S-0", "S-4"]
    assert tickets_of(page, "detractors", "billing") == ["B-2", "B-1"]
    assert tickets_of(page, "detractors", "support") == ["&lt;T&amp;&#x27;7&gt;"]
    assert tickets_of(page, "breaches", "ghost") == ["R-1"]
    # sections follow the team table (support busier), then teams it does not name
    order = re.findall(r"data-tickets='([^']*)'", page)
    assert order == ["support", "billing", "ghost"]
    # the id URL-quoted into the template, the URL then HTML-escaped
    assert (
        "<a href='https://hd.example.com/t/a%20b%2Fc?view=1&amp;lang=en' "
        "style='color:#0b57d0'>a b/c</a>"
    ) in page
    assert "href='https://hd.example.com/t/%3CT%26%277%3E?view=1&amp;lang=en'" in page
    assert "<T&'7>" not in page
    for gone in ("B-met", "B-before", "B-after", "B-4", "B-5", "B-6"):
        assert f"data-ticket='{gone}'" not in page
    # how late, readable; a running breach says so; the counts and the bound
    row = re.search(r"data-ticket='B-3'>.*?</tr>", page, re.S)
    assert row is not None
    assert "Next reply" in row.group(0) and ">1.0 d<" in row.group(0)
    assert "<td style='text-align:left;'>\u2014</td>" in row.group(0)  # no agent
    assert "1.5 h (still running)" in page
    assert "Worst breaches (5 of 8)" in page
    assert "support <small>8 breaches, 1 detractor</small>" in page
    assert "billing <small>4 breaches, 2 detractors</small>" in page
    assert "CSAT 2" in page and "NPS 6" in page


def test_without_a_template_the_ids_are_plain_text(ledger: Path) -> None:
    store = open_store(str(ledger), create=False)
    week = read_week(store, START)
    store.close()
    page = render_html(report(), "http://prom", tickets=week)
    assert tickets_of(page, "breaches", "billing") == ["B-3", "B-1", "a b/c", "B-2"]
    assert "<a href" not in page


def test_the_text_part_lists_them_in_the_same_order_with_links(ledger: Path) -> None:
    store = open_store(str(ledger), create=False)
    week = read_week(store, START)
    store.close()
    text = render_text(report(), tickets=week, template=TEMPLATE)
    part = text.split("Worst breaches and detractors per team (ledger):\n")[1]
    listed = re.findall(r"^ {6}(\S+)", part, re.M)
    assert listed == ["S-7", "S-6", "S-5", "S-0", "S-4", "<T&'7>",
                      "B-3", "B-1", "a", "B-2", "B-2", "B-1", "R-1"]  # fmt: skip
    assert "  support: 8 breaches, 1 detractor\n    worst breaches (5 of 8):\n" in part
    assert "https://hd.example.com/t/a%20b%2Fc?view=1&lang=en" in part
    b3 = next(line for line in part.splitlines() if line.strip().startswith("B-3"))
    assert "next_reply" in b3 and "1.0 d late" in b3 and "agent \u2014" in b3
    r1 = next(line for line in part.splitlines() if line.strip().startswith("R-1"))
    assert "1.5 h late (still running)" in r1 and "agent cy" in r1
    b1 = [line for line in part.splitlines() if line.strip().startswith("B-1")]
    assert "NPS 6" in b1[1] and "2026-11-09 00:01" in b1[1]


def test_sections_are_bounded_by_top_and_the_rest_named(ledger: Path) -> None:
    store = open_store(str(ledger), create=False)
    week = read_week(store, START)
    store.close()
    shown, rest = ticket_sections(week, report(), top=1)
    # the table shows only support; billing (4 breaches) then ghost (1) beyond it
    assert [e.team for e in shown] == ["support"]
    assert [e.team for e in rest] == ["billing", "ghost"]
    page = render_html(report(), "http://prom", top=1, tickets=week)
    assert "Also with breaches or detractors: billing (4 breaches, 2 detractors), ghost" in page


def test_an_empty_week_says_so_and_no_ledger_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    open_store(str(path)).close()
    store = open_store(str(path), create=False)
    week = read_week(store, START)
    store.close()
    assert week.teams == {}
    page = render_html(report(), "http://prom", tickets=week)
    assert "No breach and no detractor this week." in page
    plain = render_html(report(), "http://prom")
    assert "Worst breaches and detractors" not in plain
    assert render_text(report()) == render_text(report(), tickets=None)
    assert "Worst breaches and detractors" not in render_text(report())
