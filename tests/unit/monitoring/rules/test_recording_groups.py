"""Which families go into which group of recording.yml (rules/__init__.py)."""

from __future__ import annotations

from streams.monitoring.rules import recording_groups


def groups() -> dict[str, tuple[str | None, list[str]]]:
    return {
        name: (interval, [r["record"] for r in rules])
        for name, interval, rules in recording_groups()
    }


def test_the_state_groups_come_first_then_each_window_with_its_interval() -> None:
    names = [name for name, _i, _r in recording_groups()]
    assert names[:2] == ["servicepulse.state", "servicepulse.contact_centre.state"]
    assert names[2:] == [
        f"servicepulse.{family}.{w}"
        for w in ("5m", "1h", "1d", "7d")
        for family in ("window", "contact_centre")
    ]
    # config.WINDOWS: the long windows are evaluated less often
    assert [groups()[f"servicepulse.window.{w}"][0] for w in ("5m", "1h", "1d", "7d")] == [
        None,
        None,
        "1m",
        "2m",
    ]


def test_the_pipeline_is_recorded_live_and_the_journey_per_day_and_week() -> None:
    for w in ("5m", "1h", "1d", "7d"):
        records = groups()[f"servicepulse.window.{w}"][1]
        assert (f"job:servicepulse_events_processed:rate{w}" in records) == (w in ("5m", "1h"))
        assert (f"team:servicepulse_ola_attainment:ratio_rate{w}" in records) == (w in ("1d", "7d"))
        # the contract's figures are in every window, per team and overall
        assert f"team:servicepulse_csat:ratio_rate{w}" in records
        assert f":servicepulse_csat:ratio_rate{w}" in records
