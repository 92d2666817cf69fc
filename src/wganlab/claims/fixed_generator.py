"""Critics trained alone against the WGAN-GP Fig. 1 'generator' (real data plus N(0, I)): claims 1, 2, 3 and 6.

A trained critic is memoised by its `CriticSetup`, everything that determines it, so claims that need
the same critic (claim 3 reuses claim 2's, claim 6 claim 1's) train it once per process. Evaluation
points are fixed per data set and seed, and independent of the training batches. Claims 1 and 6 train
their critics until they stop improving (`Convergence`) and compare them with the exact optimal critic f*
between the held-out points (metrics/optimal_critic.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from scipy.stats import pearsonr, spearmanr
from torch import Tensor, nn

from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import (
    Check,
    Convergence,
    Method,
    Sampler,
    clipping,
    fit_critic,
    fit_until_converged,
    gradient_penalty,
    make_critic,
    noisy_copy,
)
from wganlab.data.toy import make_toy
from wganlab.metrics.optimal_critic import Agreement, OptimalCritic, agreement, optimal_critic
from wganlab.objectives.objective import build_objective
from wganlab.plotting import pyplot as plt

TOY_SETS = ("8gaussians", "25gaussians", "swissroll")
CONVERGING_LR = 1e-3  # Adam's step for critics trained to convergence (in our trials 1e-4 left GP critics on a
# plateau for thousands of updates before they improved again)
TOY_CLIP = clipping(0.01)  # with the WGAN paper's RMSProp 5e-5


def converging(method: Method) -> Method:
    """`method` with Adam at CONVERGING_LR: the optimiser only decides how fast the critic gets to its optimum."""
    return replace(method, optim=replace(method.optim, lr_critic=CONVERGING_LR))


TOY_PENALISED = (converging(gradient_penalty(0.1)), converging(gradient_penalty(10.0)))  # toy code's, Algorithm 1's
# WGAN-LP's one-sided penalty leaves norms below 1 free: unit norms under it come from optimality, not the penalty.
ONE_SIDED = converging(Method("LP lambda=10", replace(gradient_penalty(10.0).objective, penalty="lp")))
DEEP_DATA = "swissroll"
DEEP_METHODS = (clipping(0.1), clipping(0.01), clipping(0.001), gradient_penalty(10.0))


@dataclass(frozen=True)
class CriticSetup:
    """Everything that determines a critic trained against the fixed generator (the memo key)."""

    data: str
    method: Method
    width: int
    depth: int  # hidden layers; the critic has depth + 1 linear layers
    iterations: int  # updates; with `convergence`, the cap
    batch_size: int
    seed: int
    zero_output: bool = False  # start from D = 0, so the first updates follow the Wasserstein term
    convergence: Convergence | None = None  # stop when it holds, checked on `check_points` held-out pairs
    check_points: int = 0


@dataclass(frozen=True)
class TrainedCritic:
    critic: nn.Module
    estimates: tuple[float, ...]  # the training batches' E D(real) - E D(fake), one per update
    checks: tuple[Check, ...] = ()  # with a convergence rule
    converged: bool = False  # the rule held before the cap

    @property
    def updates(self) -> int:
        return len(self.estimates)


def clip_value(method: Method) -> float | None:
    """The method's weight-clipping bound c, or None when it does not clip."""
    return build_objective(method.objective).constraint.clip_value


def toy_setup(context: ClaimContext, data: str, method: Method, seed: int) -> CriticSetup:
    """Fig. 1a's critic, CPU-sized: 3 hidden ReLU layers of 128 from D = 0, batches of 256 pairs, trained until it
    converges (checked every 100 updates, window 15 checks, tolerance 1%, on the held-out pairs) or 8,000 updates.
    Quick: 16 wide, batches of 64, checked every 10 updates, window 3, at most 60 updates."""
    rule = Convergence(context.size(100, 10), context.size(15, 3), 0.01)
    return CriticSetup(data, method, context.size(128, 16), 3, context.size(8000, 60), context.size(256, 64), seed,
                       True, rule, evaluation_size(context))


def deep_setup(context: ClaimContext, method: Method, seed: int) -> CriticSetup:
    """Fig. 1b's critic: 12 linear layers (11 hidden ReLU layers of 512) on swissroll, 500 updates of 64 pairs."""
    width, iterations = context.size(512, 64), context.size(500, 30)
    return CriticSetup(DEEP_DATA, method, width, 11, iterations, 64, seed)


def evaluation_size(context: ClaimContext) -> int:
    """Held-out pairs (W1, f*, convergence checks) and fresh pairs (correlations with f*): 2,000, quick 300."""
    return context.size(2000, 300)


def samplers(data: str, seed: int) -> tuple[Sampler, Sampler]:
    """(real, fake): the toy data set and the fixed 'generator', real data plus unit Gaussian noise."""
    real = make_toy(data, seed=seed).sample
    return real, noisy_copy(real)


def initial_critic(setup: CriticSetup) -> nn.Module:
    """The seeded critic before training: He-uniform weights and zero biases, as in the WGAN-GP toy code."""
    critic = make_critic(setup.method, setup.width, setup.depth, setup.seed)
    layers = [module for module in critic.modules() if isinstance(module, nn.Linear)]
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(setup.seed)
        for layer in layers:
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")  # U(+-sqrt(6 / fan_in)): std sqrt(2 / fan_in)
            nn.init.zeros_(layer.bias)
        if setup.zero_output:
            layers[-1].weight.zero_()
    return critic


def trained_critic(context: ClaimContext, setup: CriticSetup) -> TrainedCritic:
    """The critic of `setup` after `setup.iterations` updates against the fixed generator, or fewer when its
    convergence rule holds first; memoised."""

    def train() -> TrainedCritic:
        critic = initial_critic(setup)
        real, fake = samplers(setup.data, setup.seed)
        rng = torch.Generator().manual_seed(setup.seed)
        if setup.convergence is None:
            estimates = fit_critic(critic, setup.method, real, fake, setup.iterations, rng, setup.batch_size)
            return TrainedCritic(critic, tuple(estimates))
        pairs = held_out(setup.data, setup.seed, setup.check_points)
        estimates, checks, converged = fit_until_converged(critic, setup.method, real, fake, setup.iterations, rng,
                                                           setup.batch_size, setup.convergence, pairs, setup.seed)
        return TrainedCritic(critic, tuple(estimates), tuple(checks), converged)

    return context.memo(("fixed-generator critic", setup), train)


def convergence_text(setup: CriticSetup) -> str:
    """`setup`'s convergence rule in a protocol's words."""
    rule = setup.convergence
    assert rule is not None, "a critic trained for a fixed number of updates has no convergence rule"
    return (
        f"Each critic is trained until it converges: every {rule.every} updates its objective (the estimate minus "
        f"the weighted penalty, the estimate alone under clipping) is measured on the {setup.check_points:,} held-out "
        f"pairs, and it has converged when the best of the last {rule.window} checks beats the best before them by "
        f"at most {rule.tolerance:.0%} of that best; at most {setup.iterations:,} updates, and a critic that reaches "
        "the cap first is reported as not converged."
    )


def held_out(data: str, seed: int, count: int) -> tuple[Tensor, Tensor]:
    """([count, 2] real, [count, 2] fake) evaluation points, fixed by (data, seed), never seen in training."""
    real, fake = samplers(data, seed)
    rng = torch.Generator().manual_seed(1_000_003 + seed)
    return real(count, rng), fake(count, rng)


def fresh(data: str, seed: int, count: int, draw: int = 0) -> tuple[Tensor, Tensor]:
    """Another fixed draw of ([count, 2] real, [count, 2] fake) points, apart from training and the held-out pairs:
    draw 0 for the correlations with f*, draw 1 for the reference f* of an independent sample."""
    real, fake = samplers(data, seed)
    rng = torch.Generator().manual_seed(2_000_003 + 1_000_000 * draw + seed)
    return real(count, rng), fake(count, rng)


def optimum(context: ClaimContext, data: str, seed: int, count: int, independent: bool = False) -> OptimalCritic:
    """The exact optimal critic f* (POT) between the held-out pairs, or (`independent`) between a second draw of
    fresh pairs; memoised, as every critic is compared with the same one."""
    points = fresh(data, seed, count, draw=1) if independent else held_out(data, seed, count)
    return context.memo(("optimal critic", data, seed, count, independent), lambda: optimal_critic(*points))


@torch.no_grad()
def held_out_estimate(critic: nn.Module, optimal: OptimalCritic) -> float:
    """E D(real) - E D(fake) on the points f* was solved on: at most Lip(D) x W1 there, exactly."""
    real, fake = (torch.tensor(points, dtype=torch.float32) for points in (optimal.real, optimal.fake))
    return (critic(real).mean() - critic(fake).mean()).item()


def compare(context: ClaimContext, critic: nn.Module, data: str, seed: int, count: int) -> Agreement:
    """The critic against f* (agreement): correlations on fresh pairs, W1 share and slopes along the coupling."""
    points = torch.cat(fresh(data, seed, count))  # [2 count, 2]
    return agreement(critic, optimum(context, data, seed, count), points, segment_points=1000, seed=seed)


def reference(context: ClaimContext, data: str, seed: int, count: int) -> dict[str, float]:
    """What a perfect critic of the population scores on these measures: f* of an independent draw against the
    held-out f* (correlations on the same fresh pairs; estimate and share on the held-out points, slope bound 1)."""
    optimal, other = optimum(context, data, seed, count), optimum(context, data, seed, count, independent=True)
    points = torch.cat(fresh(data, seed, count))  # [2 count, 2]
    mine, theirs = optimal(points), other(points)
    estimate = float(other(optimal.real).mean() - other(optimal.fake).mean())
    return {
        "estimate / W1": estimate / optimal.w1,
        "r with f*": float(pearsonr(theirs, mine).statistic),
        "rho with f*": float(spearmanr(theirs, mine).statistic),
        "W1 share": estimate / optimal.w1,
    }


def draw_convergence(context: ClaimContext, number: int, methods: Sequence[Method], seed: int) -> Path:
    """claim-NN-convergence.png: each toy critic's estimate / W1 (solid) and objective / W1 (dashed) on the held-out
    pairs against updates, one panel per data set, on a log scale; a dot where the convergence rule held."""
    figure, axes = plt.subplots(1, len(TOY_SETS), figsize=(9, 3.2), dpi=90, sharey=True)
    for axis, data in zip(axes, TOY_SETS, strict=True):
        for colour, method in enumerate(methods):
            setup = toy_setup(context, data, method, seed)
            checks = trained_critic(context, setup).checks
            w1 = optimum(context, data, seed, setup.check_points).w1
            updates, colour_name = [check.update for check in checks], f"C{colour}"
            for value, style in (("estimate", "-"), ("objective", "--")):
                ratios = [max(getattr(check, value) / w1, 1e-6) for check in checks]  # log scale: early values <= 0
                axis.plot(updates, ratios, style, color=colour_name, lw=1, label=method.label if style == "-" else None)
            if trained_critic(context, setup).converged:
                axis.plot(updates[-1], max(checks[-1].estimate / w1, 1e-6), "o", color=colour_name, ms=4)
        axis.axhline(1.0, color="grey", lw=0.6, ls=":")
        axis.set_yscale("log")
        axis.set_xlabel("critic updates")
        axis.set_title(data, fontsize=9)
    axes[0].set_ylabel("on held-out pairs, / W1")
    axes[0].legend(fontsize=6)
    return context.save_figure(figure, number, "convergence")
