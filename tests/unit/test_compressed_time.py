"""The rule files on a compressed clock (tests/compressed_time.py), checked by hand."""

from __future__ import annotations

from tests.compressed_time import compress

RULE = """\
groups:
  - name: g
    interval: 1m
    rules:
      - alert: A
        expr: |
          sum by (team) (rate(x_bucket{le=~"20(\\\\.0)?"}[1h] offset 167h))
          / increase(y[5m]) > 0 and z offset 30m
        for: 10m
"""


def test_windows_offsets_for_and_rates_are_divided_by_the_speed() -> None:
    text = compress(RULE, 60)
    # 1h / 60 = 60 s, 167h / 60 = 10020 s, 5m / 60 = 5 s, 30m / 60 = 30 s, 10m / 60 = 10 s
    assert '(rate(x_bucket{le=~"20(\\\\.0)?"}[60000ms] offset 10020000ms) / 60)' in text
    assert "increase(y[5000ms])" in text  # a count over a compressed window: not divided
    assert "z offset 30000ms" in text
    assert "for: 10000ms" in text
    assert "interval: 1s" in text
