"""The timestamped OpenMetrics writer: what promtool's backfill needs, family by family."""

from __future__ import annotations

from pathlib import Path

from streams.export.openmetrics import ChangeWriter, Chunk, TrackingExporter, timestamp_text


def write_two_snapshots(tmp_path: Path) -> list[str]:
    exporter = TrackingExporter()
    writer = ChangeWriter(exporter, 60.0)
    chunk = Chunk(tmp_path / "day.om")
    labels = ("billing", "chat", "normal", "standard")
    exporter.inc("tickets_created", labels)
    exporter.observe("first_response_seconds", labels, 45.0)
    writer.write(chunk, 1_795_000_000.0, full=True)
    exporter.inc("tickets_created", labels)
    exporter.inc("tickets_created", ('team "quoted"', "chat", "normal", "standard"))
    writer.write(chunk, 1_795_000_060.0)
    return chunk.close().read_text().splitlines()


def test_a_chunk_ends_with_eof_and_names_each_family_once(tmp_path: Path) -> None:
    lines = write_two_snapshots(tmp_path)
    assert lines[-1] == "# EOF"
    types = [line for line in lines if line.startswith("# TYPE")]
    assert len(types) == len(set(types))
    assert "# TYPE servicepulse_tickets_created counter" in types
    assert "# TYPE servicepulse_first_response_seconds histogram" in types


def test_a_series_has_its_samples_in_time_order_with_timestamps_in_seconds(
    tmp_path: Path,
) -> None:
    lines = write_two_snapshots(tmp_path)
    series = (
        'servicepulse_tickets_created_total{team="billing",channel="chat",'
        'priority="normal",customer_tier="standard"}'
    )
    assert [line for line in lines if line.startswith(series + " ")] == [
        f"{series} 0 1794999940",  # new: 0 one step before its first count
        f"{series} 1.0 1795000000",
        f"{series} 2.0 1795000060",
    ]


def test_a_series_born_later_starts_at_zero_one_step_before_and_label_values_are_escaped(
    tmp_path: Path,
) -> None:
    lines = write_two_snapshots(tmp_path)
    born = [line for line in lines if 'team="team \\"quoted\\""' in line]
    series = (
        'servicepulse_tickets_created_total{team="team \\"quoted\\"",channel="chat",'
        'priority="normal",customer_tier="standard"}'
    )
    assert born == [f"{series} 0 1795000000", f"{series} 1.0 1795000060"]


def test_histogram_buckets_are_cumulative_with_count_and_sum(tmp_path: Path) -> None:
    lines = write_two_snapshots(tmp_path)
    first = [line for line in lines if line.endswith(" 1795000000")]
    buckets = {
        line.split('le="')[1].split('"')[0]: line.split()[-2]
        for line in first
        if line.startswith("servicepulse_first_response_seconds_bucket")
    }
    assert buckets["30.0"] == "0" and buckets["60.0"] == "1" and buckets["+Inf"] == "1"
    assert any(
        line.startswith("servicepulse_first_response_seconds_sum{") and " 45.0 " in line
        for line in first
    )


def test_timestamps_are_whole_seconds_or_milliseconds() -> None:
    assert timestamp_text(1_795_000_000.0) == "1795000000"
    assert timestamp_text(1_795_000_000.25) == "1795000000.250"
