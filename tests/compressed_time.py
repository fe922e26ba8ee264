"""The project's rule files on a compressed clock, for end-to-end runs of a few minutes.

``servicepulse demo --speed S`` runs the contact centre S times faster than the wall clock, but
Prometheus measures windows, offsets and ``for:`` durations in wall time. ``compressed_rules``
copies the generated rule files with every duration divided by S (a ``[1h]`` window becomes
``[60s]`` at S = 60, ``offset 168h`` becomes ``offset 10080s``, ``for: 10m`` becomes
``for: 10s``) and every ``rate()`` divided by S (a rate per wall second is S times the rate per
simulated second; ``increase()`` over a compressed window already counts a simulated window).
Everything else is unchanged: thresholds, guards, the Erlang C arithmetic (handle times are
simulated seconds, as the exporter counts them), the order of the rules. Groups are evaluated
every second.

``history_block`` writes counter samples on the same compressed clock as a TSDB block
(``promtool tsdb create-blocks-from openmetrics``): the past weeks the hour-of-week
baselines read.

The smallest window of the rules is 5m: at S = 60 it is 5 s, five scrapes; S must stay
below about 75.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from streams.monitoring.prometheus import RULES_DIR

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
DURATION = r"(?:\d+(?:ms|[smhdwy]))+"
PART = re.compile(r"(\d+)(ms|[smhdwy])")


def seconds(text: str) -> float:
    return sum(int(n) * UNITS[u] for n, u in PART.findall(text))


def scaled(text: str, speed: float) -> str:
    """A Prometheus duration divided by ``speed``, in whole milliseconds (at least 1 ms)."""
    return f"{max(1, round(seconds(text) * 1000 / speed))}ms"


def compress(rules: str, speed: float) -> str:
    """The text of a rule file on a clock ``speed`` times faster (module docstring)."""
    rules = re.sub(
        rf"\[({DURATION})(?::({DURATION}))?\]",
        lambda m: f"[{scaled(m[1], speed)}" + (f":{scaled(m[2], speed)}" if m[2] else "") + "]",
        rules,
    )
    rules = re.sub(rf"\boffset ({DURATION})", lambda m: f"offset {scaled(m[1], speed)}", rules)
    # rate(selector[window] offset o): the selector may hold parentheses (a label regex)
    rules = re.sub(
        r"\brate\(([^\[\]]*\[[^\]]*\](?: offset \w+)?)\)", rf"(rate(\1) / {speed:g})", rules
    )
    rules = re.sub(rf"(?m)^(\s+for: )({DURATION})\s*$", lambda m: m[1] + scaled(m[2], speed), rules)
    return re.sub(r"(?m)^(\s+interval: )\S+$", r"\g<1>1s", rules)


def compressed_rules(directory: Path, speed: float, rules_dir: Path = RULES_DIR) -> list[str]:
    """Copies of the project's rule files in ``directory`` on a clock ``speed`` times faster."""
    out = []
    for src in sorted(rules_dir.glob("*.yml")):
        dst = directory / f"compressed-{src.name}"
        dst.write_text(compress(src.read_text(), speed))
        out.append(str(dst))
    return out


def history_block(
    promtool: str,
    directory: Path,
    samples: Iterable[tuple[str, Mapping[str, str], float, float]],
) -> Path:
    """TSDB blocks in ``directory/blocks`` of ``(metric, labels, wall timestamp, value)``
    counter samples (each series' samples in time order)."""
    text = directory / "history.om"
    families: dict[str, list[str]] = {}
    for metric, labels, ts, value in samples:
        label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        families.setdefault(metric, []).append(f"{metric}_total{{{label_text}}} {value:g} {ts:.3f}")
    lines = []
    for metric, rows in families.items():
        lines.append(f"# TYPE {metric} counter")
        lines.extend(rows)
    text.write_text("\n".join(lines) + "\n# EOF\n")
    blocks = directory / "blocks"
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(blocks)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return blocks
