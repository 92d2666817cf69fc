"""Figures for the reports, drawn with matplotlib (Agg) and returned as PNG bytes.

The first question a WGAN report answers is whether the critic's estimate of W1 tracks sample quality
(Arjovsky et al. 2017, Fig. 3-4): so the training curves put the estimate beside the quality metric.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wganlab.diagnostics.stopping import StoppingReport
from wganlab.plotting import pyplot as plt
from wganlab.rundir import Record

DPI = 90
ESTIMATE_COLOUR, QUALITY_COLOUR = "tab:blue", "tab:red"
STATS_LINES = (  # (key, line style, colour)
    ("critic/estimate", "-", ESTIMATE_COLOUR),
    ("critic/loss", "-", "tab:gray"),
    ("generator/loss", "-", "tab:orange"),
    ("critic/penalty", ":", "tab:green"),
)


@dataclass(frozen=True)
class Series:
    """One run's records, as the overlays need them: a label, its stats and its evaluations."""

    label: str
    stats: Sequence[Record]
    metrics: Sequence[Record]
    quality_key: str | None  # e.g. w1_2000; runs may differ in the sample count


def plain(label: str) -> str:
    """Text matplotlib shows as written: a `$` would otherwise start mathtext."""
    return label.replace("$", r"\$")


def column(records: Sequence[Record], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of the records that have a number under `key` (nan kept: a gap in the line)."""
    pairs = [(int(r["step"]), float(r[key])) for r in records if _is_number(r.get(key))]
    return [s for s, _ in pairs], [v for _, v in pairs]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_png(figure: Figure) -> bytes:
    """Render and close the figure."""
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=DPI)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _finish(axes: Axes, title: str, ylabel: str = "") -> None:
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("generator step", fontsize=9)
    if ylabel:
        axes.set_ylabel(ylabel, fontsize=9)
    axes.tick_params(labelsize=8)
    axes.grid(alpha=0.3)


def _symlog_if_wide(axes: Axes, values: Sequence[float]) -> None:
    """A log axis when positive values span more than three decades (an exploding critic)."""
    finite = [v for v in values if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) > 1e3 * min(finite):
        axes.set_yscale("log")


def training_curves(
    stats: Sequence[Record], metrics: Sequence[Record], quality_key: str | None, stopping: StoppingReport | None = None
) -> bytes:
    """Left: losses and the critic's estimate over steps. Right: the quality metric, estimate on a twin axis, and
    (with `stopping`) where quality stopped improving, the best evaluation and where the estimate levelled off."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.5), dpi=DPI)
    for key, style, colour in STATS_LINES:
        steps, values = column(stats, key)
        if steps:
            left.plot(steps, values, style, lw=1.2, label=key, color=colour)
    _finish(left, "training statistics (stats.jsonl)")
    if left.lines:
        left.legend(fontsize=8)
    _quality_panel(right, stats, metrics, quality_key, stopping)
    figure.tight_layout()
    return to_png(figure)


def _quality_panel(
    axes: Axes, stats: Sequence[Record], metrics: Sequence[Record], quality_key: str | None,
    stopping: StoppingReport | None = None,
) -> None:
    if quality_key is None:
        axes.text(0.5, 0.5, "no quality metric recorded", ha="center", va="center", transform=axes.transAxes)
        _finish(axes, "quality")
        return
    steps, values = column(metrics, quality_key)
    axes.plot(steps, values, "o-", color=QUALITY_COLOUR, lw=1.5, ms=4, label=quality_key)
    _symlog_if_wide(axes, values)
    _finish(axes, f"does the estimate track {quality_key}?")
    axes.set_ylabel(quality_key, color=QUALITY_COLOUR, fontsize=9)
    twin = axes.twinx()
    estimate_steps, estimates = column(metrics, "critic_estimate")
    label = "critic_estimate (at evaluation)"
    if not estimate_steps:  # image runs: the training estimate from stats.jsonl
        estimate_steps, estimates = column(stats, "critic/estimate")
        label = "critic/estimate (training)"
    twin.plot(estimate_steps, estimates, "s--", color=ESTIMATE_COLOUR, lw=1.2, ms=3, label=label)
    twin.set_ylabel("critic estimate", color=ESTIMATE_COLOUR, fontsize=9)
    twin.tick_params(labelsize=8)
    if stopping is not None:
        _stopping_marks(axes, stopping)
    handles = axes.get_lines() + twin.get_lines()[:1]
    axes.legend(handles, [h.get_label() for h in handles], fontsize=7 if stopping else 8, loc="best")


def _stopping_marks(axes: Axes, stopping: StoppingReport) -> None:
    """The stopping points on the quality curve: a solid line where it was safe to stop (in hindsight), a star on
    the best evaluation, a dashed line where the plateau rule fires (train.stop_on_plateau stops there), a dotted
    one where the critic's estimate levelled off by the same rule."""
    axes.axvline(stopping.safe_step, color="black", lw=1.2, label=f"safe to stop (step {stopping.safe_step})")
    best = f"best (step {stopping.best_step})"
    axes.plot([stopping.best_step], [stopping.best], "*", color="black", ms=11, label=best)
    if stopping.quality is not None:
        axes.axvline(stopping.quality.detected_at, color=QUALITY_COLOUR, lw=1.2, ls="--",
                     label=f"plateau rule fires (step {stopping.quality.detected_at})")
    if stopping.estimate is not None:
        axes.axvline(stopping.estimate.detected_at, color=ESTIMATE_COLOUR, lw=1.2, ls=":",
                     label=f"estimate levelled off (step {stopping.estimate.detected_at})")


LIPSCHITZ_KEYS = ("lipschitz/real", "lipschitz/fake", "lipschitz/interpolated", "lipschitz/spectral_bound")
HELDOUT_KEYS = ("critic/train_score", "critic/heldout_score", "critic/heldout_gap")


def diagnostics_curves(records: Sequence[Record]) -> bytes | None:
    """Lipschitz estimates, the held-out gap and (under clipping) clip saturation over steps; None if no data."""
    panels = [("Lipschitz estimates (max input-gradient norm)", LIPSCHITZ_KEYS, True)]
    panels.append(("critic on training vs held-out real data", HELDOUT_KEYS, False))
    if any(_is_number(r.get("weights/clip_saturation")) for r in records):
        panels.append(("weights at the clip bound (fraction)", ("weights/clip_saturation",), False))
    drawn = [(title, keys, log) for title, keys, log in panels if any(column(records, k)[0] for k in keys)]
    if not drawn:
        return None
    figure, axes_row = plt.subplots(1, len(drawn), figsize=(3.6 * len(drawn) + 0.6, 3.3), dpi=DPI, squeeze=False)
    for axes, (title, keys, log) in zip(axes_row[0], drawn, strict=True):
        values: list[float] = []
        for key in keys:
            steps, column_values = column(records, key)
            if steps:
                axes.plot(steps, column_values, "o-", lw=1.2, ms=3, label=key.split("/")[-1])
                values += column_values
        if log:
            _symlog_if_wide(axes, values)
        _finish(axes, title)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return to_png(figure)


def layer_norms_figure(norms: Sequence[float], title: str = "critic gradient norm per layer") -> bytes:
    """Bars of the per-layer parameter-gradient norms, input layer first, on a log axis when they span decades."""
    figure, axes = plt.subplots(figsize=(max(3.6, 0.45 * len(norms) + 1.8), 2.8), dpi=DPI)
    positions = list(range(1, len(norms) + 1))
    axes.bar(positions, [n if math.isfinite(n) else 0.0 for n in norms], color="tab:purple")
    axes.set_xticks(positions)
    _symlog_if_wide(axes, list(norms))
    _finish(axes, title, "gradient norm")
    axes.set_xlabel("layer (input first)", fontsize=9)
    figure.tight_layout()
    return to_png(figure)


def overlay_curves(runs: Sequence[Series], quality_title: str | None) -> bytes:
    """Several runs on shared axes: the quality metric (left) and the critic's estimate (right) against steps."""
    columns = 1 if max((len(run.label) for run in runs), default=0) > 45 else 2
    legend_inches = 0.2 * math.ceil(len(runs) / columns) + 0.1  # the legend sits below both panels
    figure, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.4 + legend_inches), dpi=DPI)
    colours = plt.get_cmap("tab10")
    quality_values: list[float] = []
    for index, run in enumerate(runs):
        colour = colours(index % 10)
        if run.quality_key is not None:
            steps, values = column(run.metrics, run.quality_key)
            left.plot(steps, values, "o-", lw=1.4, ms=3, color=colour, label=plain(run.label))
            quality_values += values
        steps, values = column(run.stats, "critic/estimate")
        right.plot(steps, values, "-", lw=1.2, color=colour, label=plain(run.label))
    _symlog_if_wide(left, quality_values)
    _finish(left, quality_title or "no quality metric recorded", quality_title or "")
    _finish(right, "critic/estimate (training)")
    figure.legend(*right.get_legend_handles_labels(), loc="lower center", ncol=columns, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, legend_inches / (3.4 + legend_inches), 1, 1))
    return to_png(figure)
