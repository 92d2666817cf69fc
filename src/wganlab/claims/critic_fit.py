"""Train a critic alone against two fixed distributions (WGAN-GP Fig. 1: the generator held fixed).

With the generator fixed, the critic can be trained towards optimality and then inspected: its value
surface, its gradient norms, its weights. Each Lipschitz method uses its paper's optimiser: RMSProp
5e-5 for weight clipping (WGAN), Adam 1e-4 with betas (0.5, 0.9) otherwise (WGAN-GP toy code), in
PyTorch's reference (unfused) implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wganlab.config import ObjectiveConfig, OptimConfig
from wganlab.models.mlp import MLP
from wganlab.objectives.objective import Objective, build_objective
from wganlab.training.optimizers import build_optimizer
from wganlab.training.step import update_critic

Sampler = Callable[[int, torch.Generator], Tensor]  # (n, rng) -> [n, ...] points


@dataclass(frozen=True)
class Method:
    """A named Lipschitz method for a critic trained alone: the objective section and the optimiser."""

    label: str
    objective: ObjectiveConfig
    optim: OptimConfig = OptimConfig()  # the critic's optimiser is optim.name at optim.lr_critic: Adam 1e-4 (0.5, 0.9)


WGAN_OPTIM = OptimConfig(name="rmsprop", lr_critic=5e-5)  # the WGAN paper's


@dataclass(frozen=True)
class Convergence:
    """When a critic trained alone has stopped improving.

    Every `every` updates its objective (what its optimiser maximises: the estimate E D(real) - E D(fake) minus the
    weighted penalty, the estimate alone under clipping) is measured on fixed held-out pairs; the critic has
    converged when the best of the last `window` checks beats the best before them by at most `tolerance` x |that
    best|. The cap on updates is the training run's own.
    """

    every: int  # updates between checks
    window: int  # checks in the window that must not improve
    tolerance: float  # relative improvement that does not count

    def reached(self, values: Sequence[float]) -> bool:
        """Whether the checks so far (`values`, one per check, higher is better) satisfy the rule."""
        if len(values) <= self.window:
            return False
        earlier, recent = max(values[: -self.window]), max(values[-self.window :])
        return recent <= earlier + self.tolerance * abs(earlier)


def clipping(clip_value: float) -> Method:
    objective = ObjectiveConfig(loss="wasserstein", penalty="none", constraint="clip", clip_value=clip_value)
    return Method(f"clip c={clip_value:g}", objective, WGAN_OPTIM)


def gradient_penalty(weight: float) -> Method:
    return Method(f"GP lambda={weight:g}", ObjectiveConfig(loss="wasserstein", penalty="gp", penalty_weight=weight))


def make_optimiser(method: Method, critic: nn.Module) -> torch.optim.Optimizer:
    return build_optimizer(critic.parameters(), method.optim.lr_critic, method.optim, fused=False)


def make_critic(method: Method, width: int, depth: int, seed: int, activation: str = "relu") -> nn.Module:
    """A seeded 2-D MLP critic, prepared for the method's constraint (spectral norm wraps its layers)."""
    objective = build_objective(method.objective)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return objective.constraint.prepare(MLP(2, 1, width, depth, activation))


def fit_critic(
    critic: nn.Module,
    method: Method,
    real: Sampler,
    fake: Sampler,
    iterations: int,
    rng: torch.Generator,
    batch_size: int = 256,
    objective: Objective | None = None,
    observe: Callable[[int], bool | None] | None = None,
) -> list[float]:
    """Train `critic` in place for at most `iterations` updates; returns its training batches' estimate at each.

    `observe(update)` (update = 1 .. iterations) runs after each update: to record diagnostics on the way, or to
    stop early by returning True.
    """
    objective = objective or build_objective(method.objective)
    optimiser = make_optimiser(method, critic)
    estimates = []
    for update in range(1, iterations + 1):
        stats = update_critic(critic, optimiser, objective, real(batch_size, rng), fake(batch_size, rng), rng, 0)
        estimates.append(float(stats["critic/estimate"]))
        if observe is not None and observe(update):
            break
    return estimates


@dataclass(frozen=True)
class Check:
    """One convergence check on fixed held-out pairs, after `update` updates."""

    update: int
    estimate: float  # E D(real) - E D(fake)
    objective: float  # the estimate minus the weighted penalty: what the critic's optimiser maximises


def held_out_check(critic: nn.Module, objective: Objective, pairs: tuple[Tensor, Tensor], seed: int,
                   update: int) -> Check:
    """The critic's estimate and objective on the held-out `pairs` (the penalty at interpolates drawn from `seed`, so
    successive checks differ only by the critic)."""
    loss, stats = objective.critic_phase(critic, *pairs, torch.Generator().manual_seed(seed), 0)
    return Check(update, float(stats["critic/estimate"]), -float(loss.detach()))


def fit_until_converged(
    critic: nn.Module,
    method: Method,
    real: Sampler,
    fake: Sampler,
    iterations: int,
    rng: torch.Generator,
    batch_size: int,
    rule: Convergence,
    pairs: tuple[Tensor, Tensor],
    seed: int,
) -> tuple[list[float], list[Check], bool]:
    """`fit_critic` until `rule` holds on the held-out `pairs` (checked every `rule.every` updates) or for
    `iterations` updates: (the training batches' estimates, the checks, whether the rule held)."""
    objective, checks = build_objective(method.objective), []

    def check(update: int) -> bool:
        if update % rule.every:
            return False
        checks.append(held_out_check(critic, objective, pairs, seed, update))
        return rule.reached([done.objective for done in checks])

    estimates = fit_critic(critic, method, real, fake, iterations, rng, batch_size, objective, observe=check)
    return estimates, checks, rule.reached([done.objective for done in checks])


def noisy_copy(real: Sampler, std: float = 1.0) -> Sampler:
    """The WGAN-GP Fig. 1 'generator': real data plus Gaussian noise of standard deviation `std`."""

    def draw(n: int, rng: torch.Generator) -> Tensor:
        points = real(n, rng)
        return points + std * torch.randn(points.shape, generator=rng)

    return draw
