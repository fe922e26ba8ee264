"""The report's chart as a small PNG (matplotlib, reduced to a palette with Pillow): mail
clients show an image attachment referenced by ``cid:``; few of them draw inline SVG."""

from __future__ import annotations

import io
import math

from streams.report.figures import WeekReport
from streams.report.render import Judge, figure_map, number_of

TREND_PANELS = (
    ("volume", "Contacts", 1.0, ""),
    ("sla", "SLA attainment", 100.0, "%"),
    ("abandonment", "Abandoned (phone, chat)", 100.0, "%"),
    ("fr_p90", "First response p90", 0.0, "time"),
)


def trend_png(report: WeekReport, judge: Judge | None = None) -> bytes:
    """Four small panels over the trend's weeks; a week without a figure is a gap, not 0.
    The objective, where there is one, is a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context({"text.parse_math": False, "font.size": 8}):
        return _trend_png(report, judge or Judge())


def _trend_png(report: WeekReport, judge: Judge) -> bytes:
    from matplotlib import pyplot as plt

    figures = figure_map(report)
    labels = [label[5:] for label, _ in report.trend]
    figure, axes_grid = plt.subplots(1, 4, figsize=(10.0, 2.0), dpi=80)
    positions = list(range(len(labels)))
    for axes, (key, title, scale, unit) in zip(axes_grid, TREND_PANELS, strict=True):
        spec = figures[key]
        raws = []
        for _, week in report.trend:
            number = None if week is None else number_of(spec.value(week))
            raws.append(math.nan if number is None else number)
        if unit == "time":  # in the unit of its largest value
            top = max((v for v in raws if not math.isnan(v)), default=0.0)
            unit, size = next(
                ((u, s) for u, s in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)) if top >= s),
                ("s", 1.0),
            )
            scale = 1.0 / size
        values = [v * scale for v in raws]
        if key == "volume":
            axes.bar(positions, [0 if math.isnan(v) else v for v in values], 0.7,
                     color=["#b0b7c3" if math.isnan(v) else "#2f6fb0" for v in values])  # fmt: skip
            for p, v in zip(positions, values, strict=True):
                if math.isnan(v):
                    axes.text(p, 0, "\u2014", ha="center", va="bottom", color="#6e7781")
        else:
            axes.plot(positions, values, marker="o", markersize=3, color="#2f6fb0")
            goal = judge.goal(spec.objective, None) if spec.objective else None
            if goal is not None:
                axes.axhline(goal[0] * scale, color="#1a7f37", linestyle="--", linewidth=1)
            if unit == "%":
                axes.set_ylim(0, 100)
            else:
                axes.set_ylim(bottom=0)
        axes.set_title(f"{title}" + (f" ({unit})" if unit else ""), fontsize=8)
        step = max(1, len(labels) // 6)
        axes.set_xticks(positions[::step], labels[::step])
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return _palette(buffer.getvalue())


def _palette(png: bytes) -> bytes:
    """The PNG with at most 64 colours (a third of the bytes; charts have few colours)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
