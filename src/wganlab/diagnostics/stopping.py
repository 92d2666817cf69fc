"""When to stop: the step after which a run's quality stopped improving, and whether the critic's estimate said so.

The rule is causal (it looks only at evaluations up to the one it judges), so training can apply it as it goes
(`train.stop_on_plateau`) and a finished run's logs give the step at which it would have fired:

- the quality metric (exact W1 on 2-D data, FID on images; lower is better) is evaluated every `eval.every` steps;
- its noise sigma is measured from the run itself, over the last 2 x `patience` evaluations: the robust spread of
  their successive differences, 1.4826 x the median absolute deviation of the differences from their median,
  divided by sqrt(2) (two draws of a metric with noise sigma differ with spread sigma sqrt(2); subtracting the
  median difference removes a steady trend). It counts the evaluation's sampling noise and the generator's own
  swings between evaluations, both of which a single checkpoint's number carries;
- at evaluation i (with at least 2 x `patience` evaluations), quality has *plateaued* when the mean of the last
  `patience` evaluations is not below the mean of the `patience` before them by more than NOISE_MULTIPLE
  standard errors of that difference (sigma sqrt(2 / patience)). Quality *stopped improving* at the last step
  of the earlier window: the `patience` evaluations after it brought no measurable improvement.

Means of windows, not single best values, so that one lucky evaluation neither stops a run nor keeps it going.
Applied to the critic's estimate (which a Wasserstein critic makes fall towards W1 as the samples improve), the
same rule says when the loss curve alone would have stopped the run; `stopping_report` compares the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wganlab.diagnostics.tracking import estimates_at_evaluations, quality_metric

PATIENCE = 8  # evaluations per window (train.plateau_patience's default)
NOISE_MULTIPLE = 2.0  # an improvement counts when it exceeds this many standard errors
MAD_TO_SIGMA = 1.4826  # the median absolute deviation of a normal sample times this is its standard deviation


def metric_noise(values: Sequence[float]) -> float:
    """The noise of a metric's evaluations, from their successive differences (see the module's text)."""
    differences = np.diff(np.asarray(values, dtype=np.float64))
    differences = differences[np.isfinite(differences)]
    if differences.size < 2:
        return math.nan
    spread = np.median(np.abs(differences - np.median(differences)))
    return float(MAD_TO_SIGMA * spread / math.sqrt(2.0))


@dataclass(frozen=True)
class Plateau:
    """Where a series (lower is better) stopped improving beyond its noise."""

    step: int  # the last step of the earlier window: the evaluations after it brought no measurable improvement
    value: float  # the series' value there
    detected_at: int  # the evaluation at which the rule fired (the earliest a run can know)
    noise: float  # the measured noise of the series at detected_at
    patience: int


def plateau_at(steps: Sequence[int], values: Sequence[float], last: int, patience: int = PATIENCE) -> Plateau | None:
    """The rule at evaluation `last` (an index), from evaluations 0..last only: a Plateau if it fires there. A
    non-finite value in either window keeps the rule from firing (the run is broken, not on a plateau)."""
    if patience < 2:
        raise ValueError(f"patience must be >= 2, got {patience}")
    if last < 2 * patience - 1:
        return None
    windows = np.asarray(values[last + 1 - 2 * patience : last + 1], dtype=np.float64)
    if not np.isfinite(windows).all():
        return None
    earlier, recent = windows[:patience], windows[patience:]
    noise = metric_noise(windows)
    if not math.isfinite(noise):
        return None
    if recent.mean() >= earlier.mean() - NOISE_MULTIPLE * noise * math.sqrt(2.0 / patience):
        index = last - patience
        return Plateau(int(steps[index]), float(values[index]), int(steps[last]), noise, patience)
    return None


def find_plateau(steps: Sequence[int], values: Sequence[float], patience: int = PATIENCE) -> Plateau | None:
    """The first evaluation at which the rule fires, or None if it never does."""
    for last in range(len(values)):
        if (found := plateau_at(steps, values, last, patience)) is not None:
            return found
    return None


def window_means(values: Sequence[float], patience: int) -> np.ndarray:
    """The mean of each run of `patience` consecutive evaluations, indexed by its last evaluation (nan before)."""
    series = np.asarray(values, dtype=np.float64)
    means = np.full(series.shape, np.nan)
    for last in range(patience - 1, series.size):
        means[last] = series[last + 1 - patience : last + 1].mean()
    return means


def stopping_cost(means: np.ndarray, index: int, standard_error: float) -> float:
    """In hindsight, what stopping at evaluation `index` lost: how far the window ending there lies above the best
    window after it, in standard errors (0 when none after it is better; nan when it has no full window)."""
    later = means[index:]
    if not (math.isfinite(means[index]) and standard_error > 0):
        return math.nan
    return max(0.0, float(means[index] - np.nanmin(later)) / standard_error)


@dataclass(frozen=True)
class StoppingReport:
    """When a finished run could have stopped, and whether the plateau rule and the critic's estimate said so."""

    metric: str  # the quality metric, e.g. w1_2000, fid_2000
    evaluations: int
    final_step: int
    best_step: int  # the step of the best single evaluation (the one checkpoints/best-*.pt keeps)
    best: float
    patience: int
    noise: float  # the metric's noise per evaluation over the whole run
    safe_step: int  # in hindsight, the first step from which no later window was better beyond the noise
    quality: Plateau | None  # where the (causal) plateau rule fires on quality: where stop_on_plateau stops
    quality_cost: float  # what stopping there lost, in standard errors (nan when the rule never fired)
    estimate: Plateau | None  # where the same rule fires on the critic's estimate
    estimate_cost: float  # what stopping there would have lost, in standard errors

    @property
    def estimate_told(self) -> bool:
        """The critic's estimate levelled off, and stopping when it did lost nothing measurable."""
        return self.estimate is not None and self.estimate_cost <= NOISE_MULTIPLE


def stopping_report(
    stats: Sequence[dict[str, Any]], metrics: Sequence[dict[str, Any]], patience: int = PATIENCE
) -> StoppingReport | None:
    """The plateau rule on a run's quality metric and on its critic's estimate (the mean logged estimate between
    evaluations), judged in hindsight against the whole run; None when the run logged no quality metric, a
    non-finite one, or too few evaluations to apply the rule."""
    metric = quality_metric(metrics)
    if metric is None:
        return None
    records = [r for r in metrics if metric in r]
    values = [float(r[metric]) for r in records]
    if len(records) < 2 * patience or not all(math.isfinite(v) for v in values):
        return None
    steps = [int(r["step"]) for r in records]
    noise = metric_noise(values)
    standard_error = noise * math.sqrt(2.0 / patience)
    means = window_means(values, patience)
    costs = [stopping_cost(means, index, standard_error) for index in range(len(values))]
    safe = next((i for i, cost in enumerate(costs) if cost <= NOISE_MULTIPLE), len(values) - 1)
    quality = find_plateau(steps, values, patience)
    estimate_steps, estimates, _ = estimates_at_evaluations(stats, metrics, metric)
    estimate = find_plateau(estimate_steps, estimates, patience) if len(estimates) >= 2 * patience else None

    def cost_at(plateau: Plateau | None) -> float:
        return math.nan if plateau is None else costs[steps.index(plateau.detected_at)]

    best = int(np.argmin(values))
    return StoppingReport(
        metric, len(records), steps[-1], steps[best], values[best], patience, noise, steps[safe],
        quality, cost_at(quality), estimate, cost_at(estimate),
    )
