"""Critics trained alone against the WGAN-GP Fig. 1 'generator' (real data plus N(0, I)): claims 1, 2, 3 and 6.

A trained critic is memoised by its `CriticSetup`, everything that determines it, so claims that need
the same critic (claim 3 reuses claim 2's, claim 6 claim 1's) train it once per process. Evaluation
points are fixed per data set and seed, and independent of the training batches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Method, Sampler, clipping, fit_critic, gradient_penalty, make_critic, noisy_copy
from wganlab.data.toy import make_toy
from wganlab.diagnostics.lipschitz import estimate_lipschitz, input_gradient_norms
from wganlab.metrics.transport import exact_w1
from wganlab.objectives.objective import build_objective
from wganlab.objectives.penalties import interpolate

TOY_SETS = ("8gaussians", "25gaussians", "swissroll")
TOY_CLIP = clipping(0.01)
# WGAN-LP's one-sided penalty leaves norms below 1 free: unit norms under it come from optimality, not the penalty.
ONE_SIDED = Method("LP lambda=10", replace(gradient_penalty(10.0).objective, penalty="lp"))
DEEP_DATA = "swissroll"
DEEP_METHODS = (clipping(0.1), clipping(0.01), clipping(0.001), gradient_penalty(10.0))


@dataclass(frozen=True)
class CriticSetup:
    """Everything that determines a critic trained against the fixed generator (the memo key)."""

    data: str
    method: Method
    width: int
    depth: int  # hidden layers; the critic has depth + 1 linear layers
    iterations: int
    batch_size: int
    seed: int
    zero_output: bool = False  # start from D = 0, so the first updates follow the Wasserstein term


@dataclass(frozen=True)
class TrainedCritic:
    critic: nn.Module
    estimates: tuple[float, ...]  # the training batches' E D(real) - E D(fake), one per update


def clip_value(method: Method) -> float | None:
    """The method's weight-clipping bound c, or None when it does not clip."""
    return build_objective(method.objective).constraint.clip_value


def toy_setup(context: ClaimContext, data: str, method: Method, seed: int) -> CriticSetup:
    """Fig. 1a's critic: 3 hidden ReLU layers of 512, from D = 0, 600 updates of 128 pairs (quick: 64 wide, 40)."""
    return CriticSetup(data, method, context.size(512, 64), 3, context.size(600, 40), context.size(128, 64), seed, True)


def deep_setup(context: ClaimContext, method: Method, seed: int) -> CriticSetup:
    """Fig. 1b's critic: 12 linear layers (11 hidden ReLU layers of 512) on swissroll, 500 updates of 64 pairs."""
    width, iterations = context.size(512, 64), context.size(500, 30)
    return CriticSetup(DEEP_DATA, method, width, 11, iterations, 64, seed)


def evaluation_sizes(context: ClaimContext) -> tuple[int, int]:
    """(held-out pairs for W1 and gradient norms, fresh pairs for the estimate): (2,000, 20,000), quick (300, 2,000)."""
    return context.size(2000, 300), context.size(20_000, 2000)


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
    """The critic of `setup` after `setup.iterations` updates against the fixed generator; memoised."""

    def train() -> TrainedCritic:
        critic = initial_critic(setup)
        real, fake = samplers(setup.data, setup.seed)
        rng = torch.Generator().manual_seed(setup.seed)
        estimates = fit_critic(critic, setup.method, real, fake, setup.iterations, rng, setup.batch_size)
        return TrainedCritic(critic, tuple(estimates))

    return context.memo(("fixed-generator critic", setup), train)


def drift(estimates: tuple[float, ...]) -> float:
    """Relative change of the training estimate over the last fifth: (mean of last 10% - mean of the 10% before
    the last 20%) / |mean of last 10%|. Near 0 when the critic has stopped improving."""
    tenth = max(1, len(estimates) // 10)
    last = sum(estimates[-tenth:]) / tenth
    earlier = sum(estimates[-3 * tenth : -2 * tenth]) / tenth
    return (last - earlier) / max(abs(last), 1e-12)


def held_out(data: str, seed: int, count: int) -> tuple[Tensor, Tensor]:
    """([count, 2] real, [count, 2] fake) evaluation points, fixed by (data, seed), never seen in training."""
    real, fake = samplers(data, seed)
    rng = torch.Generator().manual_seed(1_000_003 + seed)
    return real(count, rng), fake(count, rng)


def held_out_w1(context: ClaimContext, data: str, seed: int, count: int) -> float:
    """Exact W1 (POT) between the held-out real and fake points; memoised, as every critic shares it."""
    return context.memo(("held-out w1", data, seed, count), lambda: exact_w1(*held_out(data, seed, count)))


@torch.no_grad()
def wasserstein_estimate(critic: nn.Module, data: str, seed: int, count: int) -> float:
    """E D(real) - E D(fake) on `count` fresh pairs (the means over 2,000 pairs still carry ~4% noise)."""
    real, fake = samplers(data, seed)
    rng = torch.Generator().manual_seed(2_000_003 + seed)
    return (critic(real(count, rng)).mean() - critic(fake(count, rng)).mean()).item()


def lipschitz_lower_bound(critic: nn.Module, data: str, seed: int, count: int) -> float:
    """max ||grad D|| over the held-out real, fake and interpolated points (estimate_lipschitz)."""
    real, fake = held_out(data, seed, count)
    return estimate_lipschitz(critic, real, fake, torch.Generator().manual_seed(seed)).lower_bound


def interpolate_norms(critic: nn.Module, data: str, seed: int, count: int) -> Tensor:
    """[count] ||grad D(x_hat)|| at x_hat = eps real + (1 - eps) fake on the held-out points (Corollary 1)."""
    real, fake = held_out(data, seed, count)
    return input_gradient_norms(critic, interpolate(real, fake, torch.Generator().manual_seed(seed)))
