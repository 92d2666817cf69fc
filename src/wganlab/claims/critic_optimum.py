"""How near a run's critic is to its optimum at each evaluation (claim 8's last table and second figure).

At each checkpoint the run kept: the exact optimal critic f* (POT's dual, metrics/optimal_critic.py) between real
points and points of that step's generator, an independent f* of another draw (the ceiling sampling noise leaves),
the critic's estimate and correlation against f*, and, at some evaluations, a copy of the critic trained on with
that generator held fixed until claims 1 and 6's convergence rule holds (its estimate is what claim 8 judges).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.stats import pearsonr

from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Convergence, Method, fit_until_converged
from wganlab.claims.fixed_generator import CONVERGING_LR, held_out_estimate
from wganlab.config import OptimConfig
from wganlab.metrics.optimal_critic import agreement, optimal_critic
from wganlab.rundir import checkpoints
from wganlab.runlogs import RunLogs
from wganlab.training.snapshot import Snapshot, load_snapshot

OPTIMUM_POINTS = 1000  # real and generated points f* is solved on, and as many fresh ones it is compared on
EVERY_OTHER = 2  # the critic is trained on to convergence at every EVERY_OTHER-th evaluation (the costly part)
COPY_BATCH = 256  # pairs per update of the copies trained on to convergence (claim 1's critics')
OPTIMUM_HEADERS = ("seed", "run", "evaluations", "W1 (first, last)", "estimate / W1", "W1 share (scale removed)",
                   "r with f*", "r of another draw's f*", "estimate / converged critic's", "converged critic's r",
                   "converged critic's estimate / W1", "converged critic's W1 share", "converged")


@dataclass(frozen=True)
class Nearness:
    """One evaluation's critic against its optimum (claim 8's NOTES); nan where the critic was not trained on."""

    step: int
    w1: float  # between f*'s real and generated points
    estimate_share: float  # the critic's estimate / W1 on f*'s points
    w1_share: float  # its estimate with its scale (largest slope on the coupling's segments) removed, / W1
    r: float  # Pearson's r with f* on fresh points
    reference_r: float  # f* of an independent draw against f*, on the same fresh points
    converged_share: float  # the critic's estimate / that of a copy trained on to convergence
    converged_estimate: float  # that copy's estimate E D(real) - E D(fake) on f*'s points
    converged_r: float  # the converged copy's r with f*
    converged_w1_share: float  # the converged copy's W1 share (scale removed)
    converged: bool  # whether the copy's rule held before the cap


def converging(context: ClaimContext) -> tuple[Convergence, int]:
    """The rule a critic is trained on until, and its cap on updates: claims 1 and 6's rule, tiny at quick sizes."""
    return Convergence(context.size(100, 5), context.size(15, 2), 0.01), context.size(6000, 20)


def _converged_copy(snapshot: Snapshot, pairs: tuple[torch.Tensor, torch.Tensor], rule: Convergence, cap: int,
                    seed: int) -> tuple[torch.nn.Module, bool]:
    """A copy of the snapshot's critic trained on against its generator, held fixed, with the run's objective and
    constraint and claim 1's optimiser and batch, until `rule` holds on `pairs` or `cap` updates."""
    config, critic = snapshot.config, copy.deepcopy(snapshot.critic)
    latent = config.model.latent_dim

    def fake(n: int, rng: torch.Generator) -> torch.Tensor:
        with torch.no_grad():
            return snapshot.sampler(torch.randn(n, latent, generator=rng))

    method = Method("the run's, with Adam", config.objective, OptimConfig(lr_critic=CONVERGING_LR))
    rng = torch.Generator().manual_seed(30_000 + seed)
    _, _, converged = fit_until_converged(critic, method, snapshot.dataset.sample, fake, cap, rng, COPY_BATCH, rule,
                                          pairs, seed)
    return critic, converged


def nearness(path: Path, seed: int, count: int, rule: Convergence | None, cap: int) -> Nearness:
    """The checkpoint's critic against its optimum: f* between `count` real and `count` points of the checkpoint's
    generator, an independent f*, correlations on fresh points; with `rule`, a converged copy too."""
    snapshot = load_snapshot(path)
    rng = torch.Generator().manual_seed(20_000 + seed)
    with torch.no_grad():
        real, fresh_real, other_real = (snapshot.dataset.sample(count, rng) for _ in range(3))
        latents = torch.randn(3 * count, snapshot.config.model.latent_dim, generator=rng)
        fake, fresh_fake, other_fake = snapshot.sampler(latents).split(count)
    optimum, other = optimal_critic(real, fake), optimal_critic(other_real, other_fake)
    points = torch.cat([fresh_real, fresh_fake])
    fit = agreement(snapshot.critic, optimum, points, segment_points=count, seed=seed)
    estimate = held_out_estimate(snapshot.critic, optimum)
    converged_estimate = converged_r = converged_w1_share = math.nan
    converged = False
    if rule is not None:
        trained, converged = _converged_copy(snapshot, (real, fake), rule, cap, seed)
        converged_estimate = held_out_estimate(trained, optimum)
        copied = agreement(trained, optimum, points, segment_points=count, seed=seed)
        converged_r, converged_w1_share = copied.linear_correlation, copied.w1_share
    return Nearness(snapshot.step, optimum.w1, estimate / optimum.w1, fit.w1_share, fit.linear_correlation,
                    float(pearsonr(other(points), optimum(points)).statistic), estimate / converged_estimate,
                    converged_estimate, converged_r, converged_w1_share, converged)


def optimum_points(context: ClaimContext) -> int:
    """The real and generated points f* is solved on (and as many it is compared on) at this size."""
    return context.size(OPTIMUM_POINTS, 200)


def against_optimum(context: ClaimContext, run: RunLogs, seed: int) -> list[Nearness]:
    """`nearness` at each of the run's evaluations (the checkpoints it kept there), trained on at the first and at
    every EVERY_OTHER-th after it."""
    rule, cap = converging(context)
    count = optimum_points(context)
    return [nearness(path, seed, count, None if index % EVERY_OTHER else rule, cap)
            for index, path in enumerate(checkpoints(run.folder))]


def optimum_row(seed: int, label: str, measured: list[Nearness]) -> tuple[object, ...]:
    """OPTIMUM_HEADERS's row: medians over the evaluations (over those trained on, for the converged columns)."""

    def median(values: list[float]) -> float:
        finite = [value for value in values if math.isfinite(value)]
        return float(np.median(finite)) if finite else math.nan

    tried = [m for m in measured if math.isfinite(m.converged_share)]
    return (seed, label, len(measured), f"{measured[0].w1:.3g}, {measured[-1].w1:.3g}",
            median([m.estimate_share for m in measured]), median([m.w1_share for m in measured]),
            median([m.r for m in measured]), median([m.reference_r for m in measured]),
            median([m.converged_share for m in tried]), median([m.converged_r for m in tried]),
            median([m.converged_estimate / m.w1 for m in tried]), median([m.converged_w1_share for m in tried]),
            f"{sum(m.converged for m in tried)} of {len(tried)}")
