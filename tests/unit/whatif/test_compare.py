"""``streams.whatif.compare``: attainment per team and target, and the outcomes that flip."""

from __future__ import annotations

from streams.whatif.compare import NONE, Flip, Line, Tally, compare, policy_names
from tests.unit.whatif.rows import CURRENT, PROPOSED, outcome


def test_attainment_under_each_policy_and_flipped_tickets_per_team_are_hand_computed() -> None:
    comparison = compare(["current", "proposed"], [CURRENT, PROPOSED])

    assert comparison.lines == (
        Line("billing", "first_response", (Tally(2, 1), Tally(1, 2)), (0, 1)),
        Line("tech", "first_response", (Tally(1, 1), Tally(0, 3)), (0, 2)),
    )
    assert comparison.overall == (Line("", "first_response", (Tally(3, 2), Tally(1, 5)), (0, 3)),)
    assert comparison.flips == (
        Flip("t2", "first_response", 0, "billing", ("met", "breached"), (-900, 900)),
        Flip("t4", "first_response", 0, "tech", ("met", "breached"), (-1200, 600)),
        Flip("t6", "first_response", 0, "tech", (NONE, "breached"), (None, None)),
    )


def test_attainment_is_met_over_measured_and_none_when_nothing_was_measured() -> None:
    assert Tally(2, 1).attainment == 2 / 3
    assert Tally(0, 3).attainment == 0.0
    assert Tally(0, 0).attainment is None


def test_same_outcome_with_another_lateness_is_not_a_flip() -> None:
    comparison = compare(
        ["a", "b"], [[outcome("t1", "breached", late=60)], [outcome("t1", "breached", late=600)]]
    )
    assert comparison.flips == ()
    assert comparison.lines[0].flipped == (0, 0)


def test_every_later_policy_is_compared_with_the_first_not_with_the_one_before() -> None:
    lenient = [outcome("t1", "met"), outcome("t2", "met")]
    strict = [outcome("t1", "breached"), outcome("t2", "met")]
    stricter = [outcome("t1", "breached"), outcome("t2", "breached")]

    comparison = compare(["lenient", "strict", "stricter"], [lenient, strict, stricter])

    assert comparison.lines[0].flipped == (0, 1, 2)
    assert comparison.lines[0].tallies == (Tally(2, 0), Tally(1, 1), Tally(0, 2))
    assert [f.outcomes for f in comparison.flips] == [
        ("met", "breached", "breached"),
        ("met", "met", "breached"),
    ]


def test_a_ticket_counts_once_however_many_of_its_cycles_flip() -> None:
    before = [outcome("t1", "met", target="next_reply", cycle=c) for c in (0, 1, 2)]
    after = [outcome("t1", "breached", target="next_reply", cycle=c) for c in (0, 1)]
    after.append(outcome("t1", "met", target="next_reply", cycle=2))

    comparison = compare(["a", "b"], [before, after])

    assert [(f.ticket_id, f.cycle) for f in comparison.flips] == [("t1", 0), ("t1", 1)]
    assert comparison.lines == (Line("billing", "next_reply", (Tally(3, 0), Tally(1, 2)), (0, 1)),)


def test_a_target_only_one_policy_measures_flips_from_or_to_none() -> None:
    with_resolution = [outcome("t1", "met"), outcome("t1", "met", target="resolution")]
    without = [outcome("t1", "met")]

    comparison = compare(["a", "b"], [with_resolution, without])

    assert comparison.flips == (Flip("t1", "resolution", 0, "billing", ("met", NONE), (0, None)),)
    assert comparison.lines[1] == Line("billing", "resolution", (Tally(1, 0), Tally(0, 0)), (0, 1))


def test_lines_are_ordered_by_team_then_by_the_contract_order_of_targets() -> None:
    rows = [
        outcome("t1", "met", team="tech", target="resolution"),
        outcome("t1", "met", team="tech", target="first_response"),
        outcome("t2", "met", team="billing", target="next_reply"),
    ]
    comparison = compare(["a", "b"], [rows, rows])
    assert [(line.team, line.target) for line in comparison.lines] == [
        ("billing", "next_reply"),
        ("tech", "first_response"),
        ("tech", "resolution"),
    ]
    assert [line.target for line in comparison.overall] == [
        "first_response",
        "next_reply",
        "resolution",
    ]


def test_each_policy_counts_an_outcome_under_its_own_team_and_a_flip_under_the_first_policys() -> (
    None
):
    # transferred at 09:45 from billing to tech: breached at 09:30 under a 30m target (billing),
    # met at 09:50 under a 1h target (tech, after the hand-off)
    comparison = compare(
        ["long", "short"],
        [[outcome("t1", "met", team="tech")], [outcome("t1", "breached", team="billing")]],
    )
    assert comparison.lines == (
        Line("billing", "first_response", (Tally(0, 0), Tally(0, 1)), (0, 0)),
        Line("tech", "first_response", (Tally(1, 0), Tally(0, 0)), (0, 1)),
    )
    assert comparison.flips[0].team == "tech"


def test_a_team_filter_keeps_only_the_outcomes_counted_under_those_teams() -> None:
    comparison = compare(["current", "proposed"], [CURRENT, PROPOSED], teams=["tech"])
    assert [line.team for line in comparison.lines] == ["tech"]
    assert comparison.overall == (Line("", "first_response", (Tally(1, 1), Tally(0, 3)), (0, 2)),)
    assert [flip.ticket_id for flip in comparison.flips] == ["t4", "t6"]


def test_no_outcomes_make_an_empty_comparison() -> None:
    comparison = compare(["a", "b"], [[], []])
    assert (comparison.lines, comparison.overall, comparison.flips) == ((), (), ())


def test_policies_are_named_by_their_file_stem_unless_two_stems_are_alike() -> None:
    assert policy_names(["conf/current.yaml", "proposed.yml"]) == ("current", "proposed")
    assert policy_names(["a/sla.yaml", "b/sla.yaml"]) == ("a/sla.yaml", "b/sla.yaml")
    assert policy_names(["sla.yaml", "sla.yaml"]) == ("sla.yaml", "sla.yaml (2)")
