"""The report's default week: the last complete ISO week (Monday to Sunday, UTC) before now.

Calendar facts used: 2026-11-16 and 2026-11-23 are Mondays, ISO weeks 47 and 48 of 2026;
2026 begins on a Thursday, so its ISO week 1 starts on Monday 2025-12-29, and 2026 has
53 ISO weeks (its last, W53, runs from Monday 2026-12-28 to Sunday 2027-01-03).
"""

from __future__ import annotations

import pytest

from streams.errors import UserError
from streams.report.figures import last_complete_week, parse_week, week_label
from tests.support import at


@pytest.mark.parametrize(
    ("now", "week"),
    [
        ("2026-11-23 00:00:00", "2026-W47"),  # W48 has just begun: W47 is the last complete
        ("2026-11-22 23:59:59", "2026-W46"),  # W47 lacks its last second
        ("2026-11-29 23:59:59", "2026-W47"),
        ("2026-11-30 00:00:00", "2026-W48"),
        ("2026-01-05 09:00:00", "2026-W01"),  # W01 began in 2025 (Monday 2025-12-29)
        ("2027-01-04 00:00:00", "2026-W53"),  # W53 ended on Sunday 2027-01-03
    ],
)
def test_the_default_week_is_the_last_complete_iso_week(now: str, week: str) -> None:
    assert last_complete_week(at(now)) == week


def test_a_week_starts_on_its_monday_at_midnight_utc() -> None:
    # 2026-W47: Monday 2026-11-16 00:00 UTC = 1,794,787,200 s (2026-11-09 is 1,794,182,400)
    assert parse_week("2026-w47 ") == ("2026-W47", 1_794_182_400.0 + 7 * 86400)
    assert parse_week("2026-W01") == ("2026-W01", at("2025-12-29 00:00"))
    assert week_label(at("2027-01-03 23:59")) == "2026-W53"


def test_a_week_that_is_no_iso_week_is_one_line() -> None:
    with pytest.raises(UserError, match=r"--week '2025-W53': expected an ISO week like 2026-W47"):
        parse_week("2025-W53")  # 2025 begins on a Wednesday: 52 weeks only
