"""Policy files that are hostile (huge, deeply nested, aliases that explode) or can never
be satisfied are refused at load, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.calendar import Calendar
from streams.core.policy import PolicyError, load_policy_file

GOOD_TAIL = "policies:\n  - name: p\n    targets: {first_response: 1h}\n"


def error_of(path: Path) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) <= 300
    return message


def test_a_billion_laughs_file_is_refused_quickly_in_one_line(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert len(path.read_bytes()) < 1000
    assert "aliases expand to more than 100000 values" in error_of(path)


def test_yaml_nested_deeper_than_32_levels_is_refused_without_a_recursion_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 5000 + "]" * 5000 + "\n" + GOOD_TAIL)
    assert "nested deeper than 32 levels" in error_of(path)


def test_a_policy_file_larger_than_1_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (1024 * 1024 + 1))
    assert error_of(path).endswith("larger than 1024 KiB")


def test_a_huge_value_in_an_error_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(GOOD_TAIL + "    calendar: " + "x" * 500_000 + "\n")
    assert error_of(path).endswith("...")


def test_a_target_the_calendar_can_never_reach_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "sunday.yaml"
    path.write_text(
        "calendars:\n"
        "  sunday: {timezone: UTC, days: [sun], hours: ['09:00', '09:01']}\n"
        "policies:\n"
        "  - name: slow\n    calendar: sunday\n    targets: {resolution: 3650d}\n"
    )
    # 10 years of one minute each Sunday is about 522 minutes, far below 3650 days
    assert "is never reached: calendar 'sunday'" in error_of(path)


def test_a_reachable_long_target_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "calendars:\n  office: {timezone: UTC, hours: ['09:00', '18:00']}\n"
        "policies:\n  - name: p\n    calendar: office\n    targets: {resolution: 300d}\n"
    )
    assert load_policy_file(path).policies[0].targets["resolution"] == 300 * 86400


def test_spans_over_the_whole_plausible_range_build_each_block_once() -> None:
    cal = Calendar("office", "Europe/Berlin", hours=("09:00", "18:00"))
    start, end = 0.0, 4_102_444_799.0  # 1970 .. end of 2099
    first = cal.counted(start, end)
    built = len(cal._blocks)
    assert cal.counted(start + 1, end - 1) <= first
    assert len(cal._blocks) == built  # all cached: a second long span rebuilds nothing
    # ~130 years x 52 weeks x 45 h, give or take holidays-free DST days
    assert first == pytest.approx(130 * 365.25 / 7 * 45 * 3600, rel=0.01)
