"""Which samples of a rule's results the backfill writes: each value at its first and last
instant and every 4 minutes between; every instant for the series rules read over a range."""

from __future__ import annotations

from pathlib import Path

from streams.history.rules import Batch, range_read, refresh_stride, write_rule


class Files:
    """The span files' text, in memory."""

    def __init__(self) -> None:
        self.text: dict[int, str] = {}

    def write(self, span: int, text: str) -> None:
        self.text[span] = self.text.get(span, "") + text


def written(values: list[tuple[int, str]], stride: int, every: float = 60.0) -> list[str]:
    files = Files()
    batch = Batch([0], 0.0, 1200.0, 60.0)  # instants 0, 60, ..., 1200 s
    results = [{"metric": {"__name__": "x", "team": "a"}, "values": values}]
    write_rule({"record": "r", "expr": "x"}, batch, files, every, results, stride)  # type: ignore[arg-type]
    return files.text.get(0, "").splitlines()


def test_a_value_is_written_at_its_first_and_last_instant_and_every_four_minutes() -> None:
    # 1 from 0 s to 420 s, 2 from 480 s to 840 s, nothing at 900 s, 2 from 960 s to 1200 s;
    # refresh instants: the multiples of 240 s
    values = [(i * 60, "1" if i < 8 else "2") for i in range(21) if i != 15]
    assert written(values, stride=4) == [
        'r{team="a"} 1 0',  # first of 1, and a refresh instant
        'r{team="a"} 1 240',  # refresh
        'r{team="a"} 1 420',  # last of 1
        'r{team="a"} 2 480',  # first of 2 (and a refresh instant)
        'r{team="a"} 2 720',  # refresh
        'r{team="a"} 2 840',  # last before the gap
        'r{team="a"} 2 960',  # first after it (a refresh instant)
        'r{team="a"} 2 1200',  # last (a refresh instant too)
    ]


def test_a_long_windows_value_is_held_until_the_next_evaluation_then_thinned() -> None:
    # evaluated every 600 s: 5 holds 0..540 s, 6 holds 600..1140 s, 7 at 1200 s
    values = [(0, "5"), (600, "6"), (1200, "7")]
    assert written(values, stride=4, every=600.0) == [
        'r{team="a"} 5 0',
        'r{team="a"} 5 240',
        'r{team="a"} 5 480',
        'r{team="a"} 5 540',  # its last instant
        'r{team="a"} 6 600',
        'r{team="a"} 6 720',
        'r{team="a"} 6 960',
        'r{team="a"} 6 1140',
        'r{team="a"} 7 1200',
    ]


def test_stride_one_writes_every_instant() -> None:
    values = [(i * 60, "3") for i in range(21)]
    assert len(written(values, stride=1)) == 21  # 0 .. 1200 s every 60 s


def test_the_stride_is_the_largest_multiple_of_the_step_up_to_four_minutes() -> None:
    assert refresh_stride(60.0) == 4  # 240 s
    assert refresh_stride(90.0) == 2  # 180 s
    assert refresh_stride(300.0) == 1  # every instant


def test_series_read_over_a_range_by_any_rule_are_the_dense_ones(tmp_path: Path) -> None:
    rules = tmp_path / "recording.yml"
    rules.write_text(
        "groups:\n  - name: g\n    rules:\n"
        "      - record: a:x:sum\n        expr: sum(x)\n"
        "      - record: a:y:sum\n        expr: sum(y)\n"
        "      - record: a:z:sum\n        expr: sum(z)\n"
        "      - record: a:x:delta1h\n        expr: delta(a:x:sum[1h])\n"
        "      - record: a:y:plus\n        expr: a:y:sum + 1\n"
    )
    (tmp_path / "alerts.yml").write_text(
        "groups:\n  - name: h\n    rules:\n"
        "      - alert: Z\n        expr: 'max_over_time(a:z:sum{team=\"b\"} [1d]) > 0'\n"
    )
    # x is read by delta over 1h, z by an alert over a day; y only at an instant
    assert range_read(rules) == {"a:x:sum", "a:z:sum"}
