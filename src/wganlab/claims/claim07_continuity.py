"""Claim 7: on the parallel lines of WGAN Example 1, W1 = |theta| is continuous while JS, KL and TV jump at 0.

For each theta a WGAN-GP critic and a GAN discriminator are trained to near-optimality against the fixed pair
(P_0, P_theta) (claims/critic_fit.py); their estimates on fresh samples are set against the closed forms
(claims/divergences.py), as in the WGAN paper's Figure 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Method, fit_critic, make_critic
from wganlab.claims.divergences import parallel_lines_distances
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table, verdict_of
from wganlab.config import ObjectiveConfig, OptimConfig
from wganlab.data.toy import make_toy
from wganlab.metrics.transport import exact_w1
from wganlab.objectives.objective import build_objective
from wganlab.plotting import pyplot as plt

THETAS = (-1.0, -0.5, -0.2, -0.05, 0.0, 0.05, 0.2, 0.5, 1.0)
QUICK_THETAS = (-0.5, 0.0, 0.5)
WIDTH, DEPTH, LEARNING_RATE = 128, 3, 3e-4
FAST = OptimConfig(lr_critic=LEARNING_RATE)  # Adam, betas (0.5, 0.9)
WGAN_GP = Method("WGAN-GP", ObjectiveConfig(loss="wasserstein", penalty="gp", penalty_weight=10.0), FAST)
GAN = Method("GAN", ObjectiveConfig(loss="minimax", penalty="none", constraint="none"), FAST)
W1_ABSOLUTE, W1_RELATIVE, JS_JUMP, JS_ZERO, SAMPLE_W1 = 0.02, 0.1, 0.9, 0.1, 0.03
LOG2 = math.log(2.0)

CLAIM = Claim(
    number=7,
    title="W1 is continuous on parallel lines where JS, KL and TV jump",
    source="Arjovsky, Chintala, Bottou 2017, 'Wasserstein GAN' (ICML), Example 1 and Figure 1",
    expectation="For P_0 = law of (0, Z) and P_theta = law of (theta, Z), Z ~ U[0, 1]: W1 = |theta|, while "
    "JS = log 2, KL = +infinity and TV = 1 for every theta != 0 (all 0 at theta = 0). A critic trained under a "
    "Lipschitz method estimates W1 and so follows |theta| continuously down to 0; a GAN discriminator estimates "
    "JS and reports log 2 however close the lines are.",
)
PROTOCOL = (
    f"theta in {{thetas}}. For each theta and seed, two critics trained alone against the fixed pair "
    f"real = P_0, fake = P_theta (wganlab's parallel-lines toy), both seeded {DEPTH}x{WIDTH} ReLU MLPs, Adam "
    f"{LEARNING_RATE:g} betas (0.5, 0.9), batch 256, {{iterations}} updates: a WGAN-GP critic (Wasserstein loss, "
    "two-sided GP, lambda 10) and a GAN discriminator (minimax loss, no constraint). Estimates on "
    "{samples} fresh points of each: E D(real) - E D(fake) for WGAN-GP, log 2 + (E log s(D(real)) + "
    "E log(1 - s(D(fake)))) / 2 for the GAN. Exact W1 of {w1_samples} sampled points per side by POT as a check "
    "of the data. KL and TV are given in closed form only (no estimator of an infinite KL)."
)
RULE = (
    f"Per seed, four checks: (1) at every theta, |WGAN-GP estimate - |theta|| <= {W1_ABSOLUTE} + "
    f"{W1_RELATIVE} |theta| (the relative part covers the GP optimum's overshoot theta^2 / (2 lambda) = 5% at "
    f"|theta| = 1); (2) the GAN's JS estimate is >= {JS_JUMP} log 2 at every theta != 0; (3) its absolute value is "
    f"<= {JS_ZERO} log 2 at theta = 0; (4) the exact W1 of the samples is within {SAMPLE_W1} of |theta| at every "
    "theta (the sampling excess at theta = 0 is about 0.44 / sqrt(n)). Holds if all pass, does not hold if none "
    "does, mixed otherwise."
)
NOTES = (
    f"The paper's Figure 1 plots the exact divergences; here the curves are estimated by trained critics, "
    f"a learning rate of {LEARNING_RATE:g} (3x the WGAN-GP default) so that {{iterations}} updates bring both "
    "critics near their optimum even at |theta| = 0.05, where the signal that orients the critic is small. "
    "The JS estimate is a lower bound of JS: a discriminator that separates the lines perfectly reaches log 2 "
    "only as its logits diverge."
)


def fitted_estimate(method: Method, theta: float, seed: int, iterations: int, samples: int) -> float:
    """Train a critic on P_0 (real) vs P_theta (fake); its objective's estimate on `samples` fresh points each."""
    real, fake = make_toy("parallel-lines", theta=0.0).sample, make_toy("parallel-lines", theta=theta).sample
    rng = torch.Generator().manual_seed(seed)
    critic, objective = make_critic(method, WIDTH, DEPTH, seed), build_objective(method.objective)
    fit_critic(critic, method, real, fake, iterations, rng, objective=objective)
    with torch.no_grad():
        return float(objective.estimate(critic(real(samples, rng)).reshape(-1), critic(fake(samples, rng)).reshape(-1)))


def sample_w1(theta: float, seed: int, samples: int) -> float:
    """Exact W1 between `samples` points of P_0 and of P_theta (POT): at least |theta|, above it by O(n^-1/2)."""
    rng = torch.Generator().manual_seed(seed + 1_000)
    line_at_zero = make_toy("parallel-lines").sample(samples, rng)  # [samples, 2]
    line_at_theta = make_toy("parallel-lines", theta=theta).sample(samples, rng)  # [samples, 2]
    return exact_w1(line_at_zero, line_at_theta)


@dataclass(frozen=True)
class Curves:
    """One seed's measurements at each theta."""

    thetas: tuple[float, ...]
    wgan: list[float]  # WGAN-GP critic's estimate of W1
    gan: list[float]  # GAN discriminator's estimate of JS
    w1: list[float]  # exact W1 of samples


def measure(thetas: tuple[float, ...], seed: int, iterations: int, samples: int, w1_samples: int) -> Curves:
    return Curves(
        thetas,
        wgan=[fitted_estimate(WGAN_GP, theta, seed, iterations, samples) for theta in thetas],
        gan=[fitted_estimate(GAN, theta, seed, iterations, samples) for theta in thetas],
        w1=[sample_w1(theta, seed, w1_samples) for theta in thetas],
    )


def _outcome(seed: int, curves: Curves) -> SeedOutcome:
    thetas, wgan, gan, w1 = curves.thetas, curves.wgan, curves.gan, curves.w1
    excess = [abs(e - abs(t)) - (W1_ABSOLUTE + W1_RELATIVE * abs(t)) for t, e in zip(thetas, wgan, strict=True)]
    jumps = [e for t, e in zip(thetas, gan, strict=True) if t != 0]
    at_zero = [abs(e) for t, e in zip(thetas, gan, strict=True) if t == 0]
    sample_error = max(abs(d - abs(t)) for t, d in zip(thetas, w1, strict=True))
    checks = {
        "(1) the WGAN-GP estimate follows |theta|": max(excess) <= 0,
        "(2) the JS estimate jumps off theta = 0": min(jumps) >= JS_JUMP * LOG2,
        "(3) the JS estimate is near 0 at theta = 0": max(at_zero) <= JS_ZERO * LOG2,
        "(4) the samples' W1 follows |theta|": sample_error <= SAMPLE_W1,
    }
    numbers = {
        "WGAN-GP: largest |estimate - |theta|| minus its tolerance": max(excess),
        "GAN: smallest JS estimate at theta != 0": min(jumps),
        "GAN: |JS estimate| at theta = 0": max(at_zero),
        "samples: largest |W1 - |theta||": sample_error,
    }
    return SeedOutcome(seed, verdict_of(checks), numbers, checks)


def _figure(context: ClaimContext, curves: Curves) -> Path:
    thetas = curves.thetas
    line = torch.linspace(min(thetas), max(thetas), 401).tolist()
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
    left.plot(line, [parallel_lines_distances(t).wasserstein for t in line], "k-", lw=1, label="W1 = |theta| (exact)")
    left.plot(thetas, curves.w1, "s", mfc="none", color="C2", label="exact W1 of samples (POT)")
    left.plot(thetas, curves.wgan, "o", color="C0", label="WGAN-GP critic estimate")
    left.set_title("earth mover's distance", fontsize=9)
    for side in ((min(thetas), 0.0), (0.0, max(thetas))):  # JS jumps at 0: two open segments and the point (0, 0)
        right.plot(side, [LOG2, LOG2], "k-", lw=1, label="JS (exact): log 2 for theta != 0" if side[0] < 0 else None)
    right.plot([0.0], [LOG2], "ko", mfc="white", ms=5)
    right.plot([0.0], [0.0], "k.", ms=8)
    right.plot(thetas, curves.gan, "o", ms=4, color="C3", label="GAN discriminator JS estimate")
    right.axhline(1.0, color="0.5", ls=":", lw=1, label="TV (exact) = 1 for theta != 0")
    right.set_title("Jensen-Shannon divergence", fontsize=9)
    for axis in (left, right):
        axis.set_xlabel("theta")
        axis.legend(fontsize=7)
    return context.save_figure(figure, 7, "parallel-lines")


def _table(thetas: tuple[float, ...], curves: dict[int, Curves]) -> Table:
    """Per theta: the closed forms, then each seed's two estimates and the W1 of its samples."""
    columns: dict[str, list[float]] = {}
    for seed, curve in curves.items():
        columns |= {f"WGAN-GP est., seed {seed}": curve.wgan, f"GAN JS est., seed {seed}": curve.gan}
        columns |= {f"W1 of samples, seed {seed}": curve.w1}
    exact = [parallel_lines_distances(theta) for theta in thetas]
    headers = ("theta", "W1 (exact)", "JS (exact)", "KL (exact)", "TV (exact)", *columns)
    rows = tuple(
        (theta, d.wasserstein, d.jensen_shannon, f"{d.kullback_leibler:g}", d.total_variation,
         *(c[i] for c in columns.values()))
        for i, (theta, d) in enumerate(zip(thetas, exact, strict=True))
    )
    return Table(headers, rows)


def run(context: ClaimContext) -> ClaimResult:
    thetas = QUICK_THETAS if context.quick else THETAS
    iterations, samples, w1_samples = context.size(1000, 100), context.size(8192, 1024), context.size(1000, 200)
    curves = {seed: measure(thetas, seed, iterations, samples, w1_samples) for seed in context.seeds}
    return ClaimResult(
        CLAIM,
        protocol=PROTOCOL.format(thetas=list(thetas), iterations=iterations, samples=samples, w1_samples=w1_samples),
        rule=RULE,
        outcomes=tuple(_outcome(seed, curve) for seed, curve in curves.items()),
        tables=(_table(thetas, curves),),
        figures=(_figure(context, curves[context.seeds[0]]),),
        notes=NOTES.format(iterations=iterations),
    )
