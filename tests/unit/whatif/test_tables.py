"""``streams.whatif.tables``: the side-by-side text table and the flipped-ticket CSV rows."""

from __future__ import annotations

from streams.whatif.compare import Tally, compare
from streams.whatif.tables import attainment_text, flipped_rows, side_by_side
from tests.unit.whatif.rows import CURRENT, PROPOSED, outcome


def test_the_table_shows_attainment_with_counts_and_flipped_tickets_side_by_side() -> None:
    text = side_by_side(compare(["current", "proposed"], [CURRENT, PROPOSED]))
    assert text == (
        "team       target          current      proposed     flipped proposed\n"
        "billing    first_response  66.7% (2/3)  33.3% (1/3)  1\n"
        "tech       first_response  50.0% (1/2)  0.0% (0/3)   2\n"
        "all teams  first_response  60.0% (3/5)  16.7% (1/6)  3\n"
        "flipped P: tickets whose outcome (met / breached / none) under P is not under current\n"
    )


def test_a_third_policy_gets_its_own_attainment_and_flipped_columns() -> None:
    lenient = [outcome("t1", "met"), outcome("t2", "met"), outcome("t3", "met")]
    text = side_by_side(compare(["current", "proposed", "lenient"], [CURRENT, PROPOSED, lenient]))
    lines = text.splitlines()
    assert lines[0].endswith("lenient       flipped proposed  flipped lenient")
    # billing: t3 flips to met; tech: t4 and t5 flip to none (not measured), t6 stays none
    assert lines[1].split() == ["billing", "first_response", "66.7%", "(2/3)", "33.3%", "(1/3)",
                                "100.0%", "(3/3)", "1", "1"]  # fmt: skip
    assert lines[2].split() == ["tech", "first_response", "50.0%", "(1/2)", "0.0%", "(0/3)", "–",
                                "2", "2"]  # fmt: skip


def test_attainment_without_measured_outcomes_is_a_dash() -> None:
    assert attainment_text(Tally(0, 0)) == "–"
    assert attainment_text(Tally(1, 2)) == "33.3% (1/3)"


def test_no_outcome_at_all_says_so() -> None:
    assert side_by_side(compare(["a", "b"], [[], []])) == "no SLA outcome under any policy\n"


def test_the_csv_rows_give_each_flip_its_outcome_and_lateness_in_seconds_per_policy() -> None:
    assert flipped_rows(compare(["current", "proposed"], [CURRENT, PROPOSED])) == [
        ["ticket_id", "target", "cycle", "team", "outcome_current", "outcome_proposed",
         "late_seconds_current", "late_seconds_proposed"],
        ["t2", "first_response", "0", "billing", "met", "breached", "-900", "900"],
        ["t4", "first_response", "0", "tech", "met", "breached", "-1200", "600"],
        ["t6", "first_response", "0", "tech", "none", "breached", "", ""],
    ]  # fmt: skip


def test_lateness_is_rounded_to_whole_seconds() -> None:
    rows = flipped_rows(compare(["a", "b"], [[outcome("t", "met", late=-0.4)],
                                             [outcome("t", "breached", late=59.6)]]))  # fmt: skip
    assert rows[1][-2:] == ["0", "60"]
