"""Survey answers keep the contract's scales at both ends: CSAT 1-5 (4-5 satisfied).

Chatwoot rates 1-5 itself, so its rating is the score; Zendesk rates good / bad, read
as the two ends of the contract's scale, 5 and 1. A value outside the scale is a
one-line PayloadError, never a score the engine would refuse later or count wrong.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from streams.connectors import chatwoot, zendesk
from streams.connectors.common import PayloadError
from streams.core.vocabulary import SURVEY_RANGES

from .support import checked, fixture


def chatwoot_answer(rating: Any) -> dict[str, Any]:
    """The documented CSAT answer (rated 4), rated ``rating`` instead."""
    payload = copy.deepcopy(fixture("chatwoot_csat")["payload"])
    payload["content_attributes"]["submitted_values"]["csat_survey_response"]["rating"] = rating
    return payload


def test_the_contract_rates_csat_from_1_to_5() -> None:
    assert SURVEY_RANGES["csat"] == (1, 5)  # the scale the connectors below map onto


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_every_chatwoot_rating_is_the_csat_score(rating: int) -> None:
    events = checked(chatwoot.translate(chatwoot_answer(rating)))
    assert [(e["kind"], e["score"]) for e in events if e["type"] == "survey.response"] == [
        ("csat", rating)
    ]


@pytest.mark.parametrize("rating", [0, 6, 4.5, "5", True])
def test_a_chatwoot_rating_off_the_scale_is_one_line_refused(rating: Any) -> None:
    with pytest.raises(PayloadError) as refused:
        chatwoot.translate(chatwoot_answer(rating))
    assert str(refused.value) == f"Chatwoot CSAT rating {rating!r} is not 1-5"


@pytest.mark.parametrize(("value", "score"), [("good", 5), ("bad", 1)])
def test_zendesk_good_and_bad_are_the_ends_of_the_csat_scale(value: str, score: int) -> None:
    assert zendesk.rating(value) == score
    low, high = SURVEY_RANGES["csat"]
    assert score in (low, high)
