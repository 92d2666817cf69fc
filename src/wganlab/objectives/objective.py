"""The objective: a loss, an optional penalty and a Lipschitz constraint, composed once from config.

Its phases are explicit, as in stylegan2-ada's loss object: the critic's main loss and its regulariser
(`critic_phase`), and the generator's loss (`generator_phase`). The constraint's hooks are applied by
the training step around the critic's optimiser step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import stacking
from wganlab.config import ObjectiveConfig
from wganlab.objectives import constraints, losses, penalties
from wganlab.objectives.losses import Estimate
from wganlab.objectives.penalties import Critic


@dataclass(frozen=True)
class Objective:
    loss: losses.Loss
    penalty: penalties.Penalty | None
    penalty_weight: float | Tensor  # a sweep's: one weight per member, [K]
    constraint: constraints.Constraint
    noise_std: Callable[[int], float]  # generator step -> instance-noise std on every critic input

    @property
    def estimate(self) -> Estimate:
        """What the critic's scores estimate: W1 for a Lipschitz critic, JS for a GAN discriminator."""
        return self.loss.estimate

    def critic_phase(
        self, critic: Critic, real: Tensor, fake: Tensor, rng: torch.Generator, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The critic's total loss (main + weighted penalty) and its detached statistics."""
        std = self.noise_std(step)
        real = constraints.add_instance_noise(real, std, rng)
        fake = constraints.add_instance_noise(fake.detach(), std, rng)
        axis = stacking.batch_axis()  # 0; 1 under a sweep, whose tensors are [K, N, ...] (stacking.py)
        batch = real.shape[axis]
        # one forward for both halves; scores in float32 (a no-op unless under bf16 autocast): losses in full precision
        scores = stacking.scores(penalties.full_precision(critic(torch.cat([real, fake], dim=axis))))
        real_scores, fake_scores = scores[..., :batch], scores[..., batch:]
        main = self.loss.critic(real_scores, fake_scores)
        stats = {
            "critic/loss": main.detach(),
            "critic/estimate": self.estimate(real_scores.detach(), fake_scores.detach()),
            "critic/real_score": real_scores.detach().mean(-1),
            "critic/fake_score": fake_scores.detach().mean(-1),
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
        loss = self.loss.generator(stacking.scores(penalties.full_precision(critic(fake))))
        return loss, {"generator/loss": loss.detach()}


def build_objective(config: ObjectiveConfig) -> Objective:
    """Resolve every name in the objective section once."""
    loss = losses.LOSSES.resolve(config.loss)
    chosen = penalties.PENALTIES.resolve(config.penalty)
    penalty = None
    if chosen.function is not None:
        options = {"target": config.penalty_target} if chosen.takes_target else {}
        penalty = functools.partial(chosen.function, **options)
    return Objective(
        loss=loss,
        penalty=penalty,
        penalty_weight=config.penalty_weight,
        constraint=constraints.CONSTRAINTS.resolve(config.constraint).make(config),
        noise_std=functools.partial(
            constraints.instance_noise_std,
            initial_std=config.instance_noise_std,
            anneal_steps=config.instance_noise_steps,
        ),
    )
