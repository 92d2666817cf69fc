"""Claim 9: the critic's train vs held-out gap grows when the critic overfits a small data set (WGAN-GP Sec. 5.6)."""

from __future__ import annotations

from pathlib import Path

from wganlab.claims.context import ClaimContext
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.findings import GAP_GROWTH, GAP_TREND, gap_trend
from wganlab.plotting import pyplot as plt

SEPARATION = 0.5  # full-data final gap must stay below this fraction of the small-data final gap

CLAIM = Claim(
    number=9,
    title="the train vs held-out critic gap grows when the critic overfits",
    source="WGAN-GP (Gulrajani et al. 2017), Sec. 5.6 and Fig. 5 (1,000-image MNIST subset)",
    expectation="Trained on a small subset, the critic learns to score its own training images higher than held-out "
    "images of the same distribution, and the gap keeps growing; with the full training set it stays small.",
)
PROTOCOL = (
    "WGAN-GP with the `digits` preset's DCGAN (width 32, lambda 10, n_critic 2, Adam 3e-4) on unstacked 8x8 "
    "scikit-learn digits, {steps} generator steps, trained on the first {small} training images vs on all 1,437; "
    "at every evaluation the probe scores 256 training and 256 held-out (the fixed 360-image test split) real "
    "images: gap = mean D(train) - mean D(held-out)."
)
RULE = (
    f"Two checks per seed: (1) the small-data gap grows (the rule of `wganlab diagnose`): Spearman rho(step, "
    f"gap) >= {GAP_TREND} and the final gap > {GAP_GROWTH:g} x the mean |gap| over the first third of the "
    f"run; (2) the full-data final |gap| < {SEPARATION} x the small-data final gap. Holds if both pass, does "
    "not hold if neither, mixed otherwise."
)
NOTES = "CPU-sized: 8x8 digits and a small subset stand in for the paper's 1,000 of 60,000 MNIST images."
HEADERS = (
    "seed",
    "small-data final gap",
    "small-data early |gap|",
    "small-data rho(step, gap)",
    "full-data final gap",
    "full-data rho(step, gap)",
)


def _gaps(context: ClaimContext, limit: int, seed: int) -> tuple[list[int], list[float]]:
    steps = context.size(2500, 60)
    trained = context.train("digits", {
        "data.stack": 1,
        "data.limit": limit,
        "train.steps": steps,
        "optim.decay_steps": steps,  # the learning rates reach 0 at the end of this shorter run
        "train.seed": seed,
        "train.checkpoint_every": steps,
        "eval.every": context.size(125, 15),
        "eval.metrics": [],
        "eval.image_samples": 64,
        "eval.figures": False,
    })
    probes = trained.diagnostics
    return [int(p["step"]) for p in probes], [float(p["critic/heldout_gap"]) for p in probes]


def run(context: ClaimContext) -> ClaimResult:
    small = context.size(100, 32)
    outcomes, rows, curves = [], [], {}
    for seed in context.seeds:
        limited = _gaps(context, small, seed)
        full = _gaps(context, 0, seed)
        small_trend, full_trend = gap_trend(*limited), gap_trend(*full)
        separated = abs(full_trend.final) < SEPARATION * small_trend.final
        numbers = {"small-data trend rho": small_trend.trend, "small-data final gap": small_trend.final,
                   "full-data final gap": full_trend.final}
        checks = {"(1) the small-data gap grows": small_trend.growing, "(2) the full-data gap stays small": separated}
        outcomes.append(SeedOutcome(seed, verdict_of(checks), numbers, checks))
        rows.append((seed, small_trend.final, small_trend.early, small_trend.trend, full_trend.final, full_trend.trend))
        curves.setdefault(f"{small} training images", limited)
        curves.setdefault("all 1,437 training images", full)
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(steps=context.size(2500, 60), small=small),
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(Table(HEADERS, tuple(rows)),),
        figures=(_draw(context, curves),),
        notes=NOTES,
    )


def _draw(context: ClaimContext, curves: dict[str, tuple[list[int], list[float]]]) -> Path:
    figure, axis = plt.subplots(figsize=(6, 3.4), dpi=90)
    for label, (steps, gaps) in curves.items():
        axis.plot(steps, gaps, marker=".", label=label)
    axis.axhline(0, color="grey", lw=0.8)
    axis.set_xlabel("generator step")
    axis.set_ylabel("mean D(train) - mean D(held-out)")
    axis.legend(fontsize=7)
    return context.save_figure(figure, 9, "heldout-gap")
