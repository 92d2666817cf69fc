"""Does the critic's estimate track sample quality over a run? (WGAN Fig. 3 vs Fig. 4, Arjovsky et al. 2017)

Each evaluation pairs the quality metric (exact W1 on 2-D data, FID on images; lower is better) with
the critic's estimate around that step. For a WGAN the estimate approximates W1 and should fall as the
samples improve: a Spearman rank correlation near +1. A GAN's JS estimate need not follow quality at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

QUALITY_PREFIXES = ("w1_", "fid_")  # lower is better for both


def rank_correlation(first: Sequence[float], second: Sequence[float]) -> float:
    """Spearman's rho of two equally long series; nan when fewer than 3 pairs or either is constant."""
    x, y = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"need two series of the same length, got {x.shape} and {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(scipy_stats.spearmanr(x, y).statistic)


def quality_metric(metrics: Sequence[dict[str, Any]]) -> str | None:
    """The name of the run's quality metric (e.g. w1_2000, fid_2000), or None if it logged none."""
    for record in metrics:
        for key in record:
            if key.startswith(QUALITY_PREFIXES):
                return key
    return None


def estimates_at_evaluations(
    stats: Sequence[dict[str, Any]], metrics: Sequence[dict[str, Any]], metric: str
) -> tuple[list[int], list[float], list[float]]:
    """(steps, mean critic/estimate over the log lines since the previous evaluation, quality) per evaluation."""
    steps, estimates, quality = [], [], []
    previous = 0
    for record in metrics:
        if metric not in record:
            continue
        step = int(record["step"])
        window = [float(s["critic/estimate"]) for s in stats if previous < s["step"] <= step and "critic/estimate" in s]
        previous = step
        if window:
            steps.append(step)
            estimates.append(float(np.mean(window)))
            quality.append(float(record[metric]))
    return steps, estimates, quality


@dataclass(frozen=True)
class Tracking:
    """How the critic's estimate followed the quality metric over a run."""

    metric: str  # e.g. w1_2000, fid_10000
    rho: float  # Spearman rank correlation; nan with fewer than 3 evaluations
    evaluations: int


def run_tracking(stats: Sequence[dict[str, Any]], metrics: Sequence[dict[str, Any]]) -> Tracking | None:
    """The run's tracking correlation, or None when it logged no quality metric."""
    metric = quality_metric(metrics)
    if metric is None:
        return None
    _, estimates, quality = estimates_at_evaluations(stats, metrics, metric)
    return Tracking(metric, rank_correlation(estimates, quality), len(estimates))
