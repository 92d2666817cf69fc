"""Claim 8: the WGAN critic's estimate tracks sample quality; a GAN's JS estimate does not (WGAN Figs. 3, 4)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from wganlab.claims.context import ClaimContext
from wganlab.claims.gan_vs_wgan import metric_key, paired_run, protocol
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.diagnostics.tracking import estimates_at_evaluations, rank_correlation
from wganlab.plotting import pyplot as plt
from wganlab.rundir import RunLogs

DATA = "8gaussians"
TRACKS = 0.6  # Spearman rho of estimate vs W1 that counts as tracking
NEAR_LOG2 = 0.8  # the GAN's median JS estimate >= 0.8 log 2 counts as "near log 2"
Curve = tuple[float, list[int], list[float], list[float]]  # (rho, steps, estimates, W1)

CLAIM = Claim(
    number=8,
    title="the WGAN critic's estimate tracks sample quality; a GAN's JS estimate does not",
    source="WGAN (Arjovsky et al. 2017), Figs. 3 and 4",
    expectation="Over training the WGAN critic's estimate falls as the samples improve (it correlates with W1 to "
    "the data); the JS estimate of a GAN discriminator sits near log 2 and says little about sample quality.",
)
PROTOCOL = (
    f"; data {DATA}. Each evaluation pairs the quality (exact W1) with the mean critic estimate over the logged "
    "steps since the previous evaluation (Wasserstein: E D(real) - E D(fake); GAN: log 2 - minimax loss / 2, the "
    "JS estimate)."
)
RULE = (
    f"Three checks per seed: (1) Spearman rho(WGAN-GP estimate, W1) >= {TRACKS}; (2) rho(GAN JS estimate, "
    f"W1) < {TRACKS}; (3) the GAN's median JS estimate >= {NEAR_LOG2} log 2. Holds if all pass, does not "
    "hold if none does, mixed otherwise."
)
NOTES = (
    "The GAN is trained the usual way (n_critic 1), not to optimality at each step as in the paper's Fig. 4, "
    "so its discriminator need not saturate at log 2; check (3) measures whether it does."
)
HEADERS = ("seed", "rho WGAN-GP", "rho GAN", "GAN median JS / log 2", "GAN JS min", "GAN JS max")


def _tracking(run: RunLogs) -> Curve:
    metric = metric_key(run, "w1_")
    steps, estimates, quality = estimates_at_evaluations(run.stats, run.metrics, metric)
    return rank_correlation(estimates, quality), steps, estimates, quality


def run(context: ClaimContext) -> ClaimResult:
    outcomes, rows, curves = [], [], {}
    for seed in context.seeds:
        wgan = _tracking(paired_run(context, "WGAN-GP", DATA, seed))
        gan = _tracking(paired_run(context, "GAN", DATA, seed))
        gan_level = float(np.median(gan[2])) / math.log(2)
        numbers = {"rho WGAN-GP": wgan[0], "rho GAN": gan[0], "GAN median JS / log 2": gan_level}
        checks = [wgan[0] >= TRACKS, not gan[0] >= TRACKS, gan_level >= NEAR_LOG2]
        outcomes.append(SeedOutcome(seed, verdict_of(checks), numbers))
        rows.append((seed, wgan[0], gan[0], gan_level, min(gan[2]), max(gan[2])))
        curves.setdefault("WGAN-GP", wgan)
        curves.setdefault("GAN", gan)
    return ClaimResult(
        CLAIM,
        protocol=protocol(context) + PROTOCOL,
        rule=RULE,
        outcomes=tuple(outcomes),
        tables=(Table(HEADERS, tuple(rows)),),
        figures=(_draw(context, curves),),
        notes=NOTES,
    )


def _draw(context: ClaimContext, curves: dict[str, Curve]) -> Path:
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
    for axis, (label, (rho, steps, estimates, quality)) in zip(axes, curves.items(), strict=True):
        axis.plot(steps, estimates, color="tab:blue", label="critic estimate")
        axis.set_xlabel("generator step")
        axis.set_ylabel("JS estimate" if label == "GAN" else "Wasserstein estimate", color="tab:blue")
        if label == "GAN":
            axis.axhline(math.log(2), color="tab:blue", ls=":", lw=1)
        twin = axis.twinx()
        twin.plot(steps, quality, color="tab:orange", label="exact W1")
        twin.set_ylabel("exact W1 (quality, lower is better)", color="tab:orange")
        axis.set_title(f"{label}: Spearman rho = {rho:.2f}", fontsize=9)
    return context.save_figure(figure, 8, "estimate-vs-w1")
