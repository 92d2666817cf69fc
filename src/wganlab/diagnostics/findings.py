"""Plain-language findings from a run's logs: each rule states what it looked at and when it fires.

Rules (thresholds in the constants below):
- non-finite values in the losses, the estimate, the samples or the critic's parameters;
- weights saturated at the clip bound (WGAN-GP Sec. 3: a capacity-starved critic);
- a Wasserstein critic whose Lipschitz estimate is far above 1 (its estimate is then not W1);
- gradients that explode or vanish with depth (WGAN-GP Fig. 1b);
- a critic estimate that does not track the quality metric (Spearman rank correlation over the run);
- a train vs held-out critic gap that keeps growing (WGAN-GP Sec. 5.6: the critic overfits);
- modes missing at the end (2-D mixtures);
- when quality stopped improving, and whether the critic's estimate alone would have told (stopping.py's rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wganlab.config import DataConfig
from wganlab.data.augment import POLICY
from wganlab.diagnostics.stopping import NOISE_MULTIPLE, StoppingReport, stopping_report
from wganlab.diagnostics.tracking import rank_correlation, run_tracking
from wganlab.objectives.losses import LOSSES
from wganlab.runlogs import RunLogs

SATURATED = 0.5  # fraction of critic weights at +/-c
LIPSCHITZ_HIGH = 5.0  # largest input-gradient norm of a Wasserstein critic
SLOPE_STEEP = 0.1  # |decades of gradient norm per layer|
DEEP_LAYERS = 5  # the slope of fewer layers is too noisy to mean anything
TRACKS, DOES_NOT_TRACK = 0.6, 0.3  # Spearman rho of estimate vs quality
GAP_TREND = 0.7  # Spearman rho of held-out gap vs step
GAP_GROWTH = 2.0  # final held-out gap vs the mean |gap| over the first third of the run
MIN_EVALUATIONS = 5
WATCHED_STATS = ("critic/loss", "critic/estimate", "critic/penalty", "generator/loss")


@dataclass(frozen=True)
class Finding:
    severity: Literal["warning", "info"]
    title: str
    message: str  # what it means and what to do, in plain words
    evidence: str  # the numbers that made the rule fire


def _nonfinite(history: RunLogs) -> list[Finding]:
    guarded = [event for event in history.events if event.get("event") == "nonfinite"]
    if guarded:  # the guard stopped the run, or rolled it back, before the value reached any log
        described = [f"{e.get('quantity')} at step {e['step']} ({e.get('action', 'stop')})" for e in guarded]
        return [_nonfinite_finding("; ".join(described))]
    for record in history.stats:
        bad = [key for key in WATCHED_STATS if key in record and not math.isfinite(record[key])]
        if bad:
            return [_nonfinite_finding(f"{', '.join(bad)} at step {record['step']}")]
    for record in list(history.metrics) + list(history.diagnostics):
        for key in ("nonfinite_samples", "nonfinite/parameters"):
            if record.get(key, 0) > 0:
                return [_nonfinite_finding(f"{key} = {record[key]:.0f} at step {record['step']}")]
    return []


def _nonfinite_finding(evidence: str) -> Finding:
    return Finding(
        "warning",
        "Non-finite values",
        "Training produced NaN or infinite values: the run has diverged and later numbers mean nothing. "
        "Lower the learning rates, add or strengthen the Lipschitz method, or resume from an earlier checkpoint.",
        evidence,
    )


def _latest_probe(history: RunLogs) -> list[Finding]:
    if not history.diagnostics:
        return []
    probe, findings = history.diagnostics[-1], []
    objective = history.config.objective
    loss = LOSSES.get(objective.loss)  # None for a loss this version does not know
    saturation = probe.get("weights/clip_saturation")
    if saturation is not None and saturation >= SATURATED:
        findings.append(Finding(
            "warning",
            "Weights saturated at the clip bound",
            "Most of the critic's weights sit at +/-c: the clip, not the data, shapes the critic, which is then "
            "biased towards over-simple functions (WGAN-GP Sec. 3). Use a gradient penalty or spectral norm, or try "
            "another c.",
            f"{100 * saturation:.1f} % of weights at |w| = c = {objective.clip_value} (step {probe['step']}; "
            f"rule: >= {100 * SATURATED:.0f} %)",
        ))
    lipschitz = max(probe.get(f"lipschitz/{where}", 0.0) for where in ("real", "fake", "interpolated"))
    if loss is not None and loss.lipschitz_critic and lipschitz > LIPSCHITZ_HIGH:
        findings.append(Finding(
            "warning",
            "Critic far from 1-Lipschitz",
            "The critic's input gradients are much larger than 1, so its score difference is not an estimate of "
            "W1 (only of K * W1 for an unknown K) and can grow without meaning. Strengthen the Lipschitz method.",
            f"largest input-gradient norm {lipschitz:.3g} on real/fake/interpolated points (step {probe['step']}; "
            f"rule: > {LIPSCHITZ_HIGH:g})",
        ))
    slope = probe.get("gradients/log_slope", math.nan)
    deep = len(probe.get("gradients/layer_norms", [])) >= DEEP_LAYERS
    if math.isfinite(slope) and abs(slope) >= SLOPE_STEEP and deep:
        grows = "explode towards the input" if slope < 0 else "vanish towards the input"
        findings.append(Finding(
            "warning",
            f"Gradients {grows}",
            "The gradient of the critic's loss changes geometrically from layer to layer, as it does under weight "
            "clipping with too large or too small a c (WGAN-GP Fig. 1b); a gradient penalty keeps it level.",
            f"slope {slope:+.3f} decades per layer (forward order) over {len(probe['gradients/layer_norms'])} "
            f"layers (rule: |slope| >= {SLOPE_STEEP})",
        ))
    return findings


def _tracking(history: RunLogs) -> list[Finding]:
    tracking = run_tracking(history.stats, history.metrics)
    if tracking is None or tracking.evaluations < MIN_EVALUATIONS:
        return []
    rho, metric = tracking.rho, tracking.metric
    count = tracking.evaluations
    evidence = f"Spearman rho = {rho:.2f} between the critic's estimate and {metric} over {count} evaluations"
    if math.isnan(rho) or rho < DOES_NOT_TRACK:
        return [Finding(
            "warning",
            "The critic's estimate does not track sample quality",
            f"Over this run the critic's estimate did not fall as {metric} fell, so the loss curve is not a guide "
            "to sample quality here (a GAN's JS estimate behaves like this; a WGAN's should not). Judge by the "
            "quality metric, not the loss.",
            evidence + f" (rule: rho < {DOES_NOT_TRACK})",
        )]
    verdict = "tracks" if rho >= TRACKS else "partly tracks"
    return [Finding("info", f"The critic's estimate {verdict} sample quality",
                    "A falling estimate went with better samples over this run.", evidence)]


@dataclass(frozen=True)
class GapTrend:
    """How the train vs held-out critic gap moved over a run."""

    growing: bool  # rho(step, gap) >= GAP_TREND and the final gap > GAP_GROWTH x the early mean |gap|
    trend: float  # Spearman rho(step, gap)
    early: float  # mean |gap| over the first third of the probes
    final: float


def gap_trend(steps: Sequence[int], gaps: Sequence[float]) -> GapTrend:
    """The held-out gap rule (WGAN-GP Sec. 5.6: a critic that overfits scores its training data ever higher)."""
    early = float(np.mean(np.abs(gaps[: max(1, len(gaps) // 3)])))
    trend = rank_correlation(steps, gaps)
    return GapTrend(bool(trend >= GAP_TREND and gaps[-1] > GAP_GROWTH * early), trend, early, float(gaps[-1]))


@dataclass(frozen=True)
class HeldoutGaps:
    """The train vs held-out critic gap at each of a run's probes, and how it moved."""

    steps: list[int]
    gaps: list[float]
    trend: GapTrend


def run_heldout_gaps(history: RunLogs, least: int = 3) -> HeldoutGaps | None:
    """The held-out gap over the run's probes; None with fewer than `least` (no trend to speak of)."""
    records = [r for r in history.diagnostics if "critic/heldout_gap" in r]
    if len(records) < least:
        return None
    steps, gaps = [int(r["step"]) for r in records], [float(r["critic/heldout_gap"]) for r in records]
    return HeldoutGaps(steps, gaps, gap_trend(steps, gaps))


def _augmentation_advice(data: DataConfig) -> str:
    """What augmentation an overfitting critic's run could add: DiffAugment, the transforms its policy lacks, or
    nothing when it has them all."""
    if data.augment == "none":
        return "augment every critic input (--set data.augment=diffaug: DiffAugment, data/augment.py), "
    if set(data.augment_policy) == set(POLICY):
        return ""
    return (f"more of {', '.join(POLICY)} in data.augment_policy (data.augment {data.augment!r} has "
            f"{','.join(data.augment_policy)}), ")


def _heldout_gap(history: RunLogs) -> list[Finding]:
    found = run_heldout_gaps(history, MIN_EVALUATIONS)
    if found is None or not found.trend.growing:
        return []
    trend = found.trend
    return [Finding(
        "warning",
        "Held-out gap growing: the critic is overfitting",
        "The critic scores its training images ever higher than held-out images of the same distribution: it "
        "memorises the training set (WGAN-GP Sec. 5.6), and its estimate no longer measures the distance to "
        f"the data distribution. Use more data, {_augmentation_advice(history.config.data)}a smaller critic, or "
        "stop earlier.",
        f"gap {trend.final:.3g} at step {found.steps[-1]} vs {trend.early:.3g} early; Spearman(step, gap) = "
        f"{trend.trend:.2f} (rule: >= {GAP_TREND} and final gap > {GAP_GROWTH:g}x early)",
    )]


def _modes(history: RunLogs) -> list[Finding]:
    """Fires when fewer modes are covered than 90 % of what a perfect sampler covers with as many samples."""
    if not history.metrics:
        return []
    last = history.metrics[-1]
    key = next((k for k in last if k.startswith("modes_")), None)
    total = last.get("total_modes")
    if key is None or total is None:
        return []
    samples = int(key.removeprefix("modes_"))
    perfect = total * (1 - math.exp(-samples / total))  # expected modes hit by `samples` uniform draws
    if last[key] >= 0.9 * perfect:
        return []
    return [Finding(
        "warning",
        "Modes missing",
        "The generator covers only part of the data's modes (mode collapse or mode dropping). Train longer, or "
        "compare Lipschitz methods: on the grid, a GAN drops modes more often than WGAN-GP.",
        f"{last[key]:.0f} of {total:.0f} modes at step {last['step']} ({key}; a perfect sampler covers "
        f"{perfect:.0f} with {samples} samples; rule: < 90 % of that)",
    )]


def run_stopping(history: RunLogs) -> StoppingReport | None:
    """The plateau rule on the run's quality metric and critic estimate, with the run's own patience."""
    return stopping_report(history.stats, history.metrics, history.config.train.plateau_patience)


def _stopping(history: RunLogs) -> list[Finding]:
    report = run_stopping(history)
    if report is None:
        return []
    metric, patience = report.metric, report.patience

    def cost(plateau_step: int, lost: float) -> str:
        if lost <= NOISE_MULTIPLE:
            return f"stopping at step {plateau_step} lost nothing measurable"
        return f"stopping at step {plateau_step} would have lost {lost:.1f} standard errors of {metric}"

    if report.quality is None:
        rule = f"The plateau rule (train.stop_on_plateau) never fired: {metric} kept improving."
    else:
        stopped = any(event.get("event") == "plateau" for event in history.events)
        rule = (f"The plateau rule {'stopped the run' if stopped else '(train.stop_on_plateau) fires'} at step "
                f"{report.quality.detected_at}: {cost(report.quality.detected_at, report.quality_cost)}.")
    if report.estimate is None:
        told = "The critic's estimate alone would not have told: by the same rule its curve never levelled off."
    else:
        verdict = "would have told" if report.estimate_told else "would have misled"
        told = (f"The critic's estimate alone {verdict}: its curve levelled off at step "
                f"{report.estimate.detected_at}, and {cost(report.estimate.detected_at, report.estimate_cost)}.")
    last = report.safe_step >= report.final_step
    title = "Quality was still improving at the end" if last else f"Safe to stop at step {report.safe_step}"
    where = (f"{metric} improved until the last evaluation (step {report.final_step}): training longer may help"
             if last else
             f"after step {report.safe_step} of {report.final_step} no window of {patience} evaluations was better "
             f"by more than {NOISE_MULTIPLE:g} standard errors")
    return [Finding(
        "info",
        title,
        f"In hindsight, {where}; the best {metric} was {report.best:.4g} at step {report.best_step} "
        f"(checkpoints/best-*.pt keeps it). {rule} {told}",
        f"{report.evaluations} evaluations; noise {report.noise:.3g} per evaluation, measured from the run's "
        f"successive differences; windows of {patience} evaluations, standard error of a difference of two window "
        f"means {report.noise * (2 / patience) ** 0.5:.3g}",
    )]


def find(history: RunLogs) -> list[Finding]:
    """Every finding for the run, warnings first."""
    findings = _nonfinite(history) + _latest_probe(history) + _tracking(history) + _heldout_gap(history)
    findings += _modes(history) + _stopping(history)
    return sorted(findings, key=lambda f: f.severity != "warning")
