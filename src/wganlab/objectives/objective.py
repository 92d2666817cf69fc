"""The objective: a loss, an optional penalty and a Lipschitz constraint, composed once from config.

Its phases are explicit, as in stylegan2-ada's loss object: the critic's main loss and its regulariser
(`critic_phase`), and the generator's loss (`generator_phase`). The constraint's hooks are applied by
the training step around the critic's optimiser step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab.config import ObjectiveConfig
from wganlab.objectives import constraints, losses, penalties

Critic = Callable[[Tensor], Tensor]
Estimate = Callable[[Tensor, Tensor], Tensor]


def mean_difference(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[D(real)] - E[D(fake)]: the Wasserstein estimate when the critic is 1-Lipschitz (WGAN eq. 3)."""
    return real_scores.mean() - fake_scores.mean()


def jensen_shannon_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """log 2 + (E log s(D(real)) + E log(1 - s(D(fake)))) / 2: the JS estimate of a GAN discriminator.

    It equals JS(P_r, P_g) at the optimal discriminator (Goodfellow et al. 2014, Theorem 1).
    """
    return math.log(2.0) - 0.5 * losses.minimax_critic_loss(real_scores, fake_scores)


# What each loss's critic estimates: the divergence curve a user can plot against sample quality.
ESTIMATES: dict[str, Estimate] = {
    "wasserstein": mean_difference,
    "hinge": mean_difference,
    "least-squares": mean_difference,
    "minimax": jensen_shannon_estimate,
    "non-saturating": jensen_shannon_estimate,
}


@dataclass(frozen=True)
class Objective:
    loss: losses.Loss
    estimate: Estimate
    penalty: penalties.Penalty | None
    penalty_weight: float
    constraint: constraints.Constraint
    noise_std: Callable[[int], float]  # generator step -> instance-noise std on every critic input

    def critic_phase(
        self, critic: Critic, real: Tensor, fake: Tensor, rng: torch.Generator, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The critic's total loss (main + weighted penalty) and its detached statistics."""
        std = self.noise_std(step)
        real = constraints.add_instance_noise(real, std, rng)
        fake = constraints.add_instance_noise(fake.detach(), std, rng)
        batch = real.shape[0]
        scores = critic(torch.cat([real, fake])).reshape(-1)  # one forward for both halves
        real_scores, fake_scores = scores[:batch], scores[batch:]
        main = self.loss.critic(real_scores, fake_scores)
        stats = {
            "critic/loss": main.detach(),
            "critic/estimate": self.estimate(real_scores.detach(), fake_scores.detach()),
            "critic/real_score": real_scores.detach().mean(),
            "critic/fake_score": fake_scores.detach().mean(),
        }
        if self.penalty is None:
            return main, stats
        penalty = self.penalty(critic, real, fake, rng)
        stats["critic/penalty"] = penalty.detach()
        return main + self.penalty_weight * penalty, stats

    def generator_phase(
        self, critic: Critic, fake: Tensor, rng: torch.Generator, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The generator's loss on fresh fakes that still carry the generator's graph."""
        fake = constraints.add_instance_noise(fake, self.noise_std(step), rng)
        loss = self.loss.generator(critic(fake).reshape(-1))
        return loss, {"generator/loss": loss.detach()}


def build_objective(config: ObjectiveConfig) -> Objective:
    """Resolve every name in the objective section once."""
    penalty = None
    if config.penalty != "none":
        function, _ = penalties.PENALTIES[config.penalty]
        options = {"target": config.penalty_target} if config.penalty in ("gp", "lp", "dragan") else {}
        penalty = functools.partial(function, **options)
    return Objective(
        loss=losses.LOSSES[config.loss],
        estimate=ESTIMATES[config.loss],
        penalty=penalty,
        penalty_weight=config.penalty_weight,
        constraint=constraints.make_constraint(
            config.constraint,
            clip_value=config.clip_value,
            max_norm=config.max_norm,
            grad_clip_norm=config.grad_clip_norm,
        ),
        noise_std=functools.partial(
            constraints.instance_noise_std,
            initial_std=config.instance_noise_std,
            anneal_steps=config.instance_noise_steps,
        ),
    )
