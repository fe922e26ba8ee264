"""``streams.whatif.page``: the comparison as an HTML page in the weekly report's style."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from streams.whatif.compare import compare
from streams.whatif.page import MAX_FLIP_ROWS, render_page
from tests.unit.whatif.rows import CURRENT, PROPOSED, outcome


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def text_of(page: str) -> str:
    """The page's visible text after its style sheet, whitespace collapsed."""
    parser = VisibleText()
    parser.feed(page.split("</style>")[1])
    return " ".join(" ".join(parser.chunks).split())


def test_tiles_give_attainment_over_every_target_and_the_change_from_the_first_policy() -> None:
    page = render_page(compare(["current", "proposed"], [CURRENT, PROPOSED]), "week.jsonl")
    text = text_of(page)
    # current: 3 met of 5 = 60.0%; proposed: 1 of 6 = 16.7%, 43.3 points worse; 3 tickets flip
    assert "current: SLA attainment, every target 60.0% 3 met of 5 the baseline" in text
    assert "proposed: SLA attainment, every target 16.7% 1 met of 6 ▼ -43.3 pt vs current" in text
    assert "3 tickets flip" in text
    assert "class='change worse' data-tone='worse'>▼ -43.3 pt" in page


def test_the_team_table_shows_each_policy_its_change_and_flipped_tickets() -> None:
    text = text_of(render_page(compare(["current", "proposed"], [CURRENT, PROPOSED]), "h"))
    assert "billing first_response 66.7% (2/3) 33.3% (1/3) ▼ -33.3 pt 1" in text
    assert "tech first_response 50.0% (1/2) 0.0% (0/3) ▼ -50.0 pt 2" in text
    assert "all teams first_response 60.0% (3/5) 16.7% (1/6) ▼ -43.3 pt 3" in text


def test_a_better_policy_is_green_and_the_flips_list_outcome_and_lateness() -> None:
    page = render_page(compare(["proposed", "current"], [PROPOSED, CURRENT]), "h")
    assert "data-tone='better'>▲ +43.3 pt" in page
    text = text_of(page)
    assert "Tickets whose outcome changes (3)" in text
    assert "t2 first_response 0 billing breached (15m late) met (15m early)" in text
    assert "t6 first_response 0 tech breached (late: not known) none" in text


def test_names_from_the_history_are_escaped() -> None:
    rows = [outcome("<t1>", "met", team="<b>ops</b>")]
    page = render_page(compare(["a", "b"], [rows, []]), "<history>")
    assert "<b>ops</b>" not in page and "&lt;b&gt;ops&lt;/b&gt;" in page
    assert "<t1>" not in page and "&lt;history&gt;" in page


def test_the_flip_table_stops_at_its_limit_and_points_to_the_csv() -> None:
    many = MAX_FLIP_ROWS + 5
    before = [outcome(f"t{i:05d}", "met") for i in range(many)]
    after = [outcome(f"t{i:05d}", "breached", late=3725) for i in range(many)]
    page = render_page(compare(["a", "b"], [before, after]), "h")
    assert len(re.findall(r"<td class='breached'>", page)) == MAX_FLIP_ROWS
    assert "and 5 more: see the CSV file." in page
    assert "(1h02m late)" in page


def test_no_flip_says_every_outcome_is_the_same() -> None:
    page = render_page(compare(["a", "b"], [CURRENT, CURRENT]), "h")
    assert "None: every outcome is the same under every policy." in page
