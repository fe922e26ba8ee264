from __future__ import annotations

import pytest

from streams.connectors.common import PayloadError, rfc3339, stable_id


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2020-03-03 13:05:57 UTC", "2020-03-03T13:05:57+00:00"),
        ("2025-01-08T10:12:07Z", "2025-01-08T10:12:07+00:00"),
        ("2025-01-08T12:12:07+02:00", "2025-01-08T10:12:07+00:00"),
        ("2025-09-03 12:56:17.000000000 +0000", "2025-09-03T12:56:17+00:00"),
        ("2025-01-08T10:12:07.672717030Z", "2025-01-08T10:12:07.672717+00:00"),
        (1583240757, "2020-03-03T13:05:57+00:00"),
        (1583240757000, "2020-03-03T13:05:57+00:00"),
        ("1583240757", "2020-03-03T13:05:57+00:00"),
    ],
)
def test_product_timestamps_become_rfc3339_in_utc(given: object, expected: str) -> None:
    assert rfc3339(given) == expected


@pytest.mark.parametrize("given", ["2020-03-03 13:05:57", "yesterday", None, True, [1]])
def test_timestamps_without_an_offset_or_not_times_are_refused(given: object) -> None:
    with pytest.raises(PayloadError):
        rfc3339(given)


def test_stable_ids_are_readable_when_short_and_hashed_when_long() -> None:
    assert stable_id("zendesk", 5158, "csat") == "zendesk:5158:csat"
    long = stable_id("zendesk", "x" * 300)
    assert long.startswith("zendesk:") and len(long) == len("zendesk:") + 32
    assert long == stable_id("zendesk", "x" * 300)
