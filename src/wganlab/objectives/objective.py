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

from wganlab import schedules, sharding, stacking
from wganlab.config import ObjectiveConfig
from wganlab.data.augment import Augment
from wganlab.objectives import conditional, constraints, losses, penalties
from wganlab.objectives.conditional import UNLABELLED, Labels
from wganlab.objectives.losses import Estimate
from wganlab.objectives.penalties import Critic
from wganlab.parts import Parts

# The penalty weight's decay shapes (objective.penalty_decay): schedules.py's, shared with the learning rates'.
PENALTY_DECAYS: Parts[schedules.Decay] = Parts("objective.penalty_decay", schedules.DECAYS.values())


@dataclass(frozen=True)
class Objective:
    loss: losses.Loss
    penalty: penalties.Penalty | None
    penalty_weight: float | Tensor  # a sweep's: one weight per member, [K]
    constraint: constraints.Constraint
    noise_std: Callable[[int], float]  # generator step -> instance-noise std on every critic input
    penalty_factor: Callable[[int], float] = schedules.unchanged  # generator step -> the penalty weight's factor
    classifier: bool = False  # an auxiliary classifier's cross-entropy terms (model.conditioning = "acgan")
    augment: Augment | None = None  # data.augment: done to every critic input, before its instance noise

    def critic_input(self, points: Tensor, std: float, rng: sharding.Generator) -> Tensor:
        """What the critic scores of `points` (and a penalty is taken at): augmented (data.augment), then with
        instance noise of `std`; each draws afresh from `rng`."""
        points = points if self.augment is None else self.augment(points, rng)
        return constraints.add_instance_noise(points, std, rng)

    def penalty_weight_at(self, step: int) -> float | Tensor:
        """The penalty's weight at generator step `step`: objective.penalty_weight on its objective.penalty_decay."""
        return self.penalty_weight * self.penalty_factor(step)

    @property
    def estimate(self) -> Estimate:
        """What the critic's scores estimate: W1 for a Lipschitz critic, JS for a GAN discriminator."""
        return self.loss.estimate

    def critic_phase(
        self, critic: Critic, real: Tensor, fake: Tensor, rng: torch.Generator, step: int,
        labels: Labels = UNLABELLED, measured: bool = True,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The critic's total loss (main + weighted penalty, + the auxiliary classifier's cross-entropy on the real
        batch under "acgan") and its detached statistics (none unless `measured`: the training step measures the
        last of its critic updates only); a conditional critic scores each point with its label. The penalty is
        taken at the points the critic scores: under data.augment, GP and WGAN-div at interpolates of the augmented
        real and fake batches, R1 at the augmented reals, R2 at the augmented fakes."""
        std = self.noise_std(step)
        real = self.critic_input(real, std, rng)
        fake = self.critic_input(fake.detach(), std, rng)
        axis = stacking.batch_axis()  # 0; 1 under a sweep, whose tensors are [K, N, ...] (stacking.py)
        batch = real.shape[axis]
        # one forward for both halves; scores in float32 (a no-op unless under bf16 autocast): losses in full precision
        both = torch.cat([real, fake], dim=axis)
        raw, logits = conditional.critic_output(critic, both, labels.both())
        scores = stacking.scores(penalties.full_precision(raw))
        real_scores, fake_scores = scores[..., :batch], scores[..., batch:]
        main = self.loss.critic(real_scores, fake_scores)
        stats = {
            "critic/loss": main.detach(),
            "critic/estimate": self.estimate(real_scores.detach(), fake_scores.detach()),
            "critic/real_score": real_scores.detach().mean(-1),
            "critic/fake_score": fake_scores.detach().mean(-1),
        } if measured else {}
        if self.classifier and logits is not None and labels.real is not None:
            classified = conditional.classifier_loss(logits[:batch], labels.real)
            if measured:
                stats["critic/classifier_loss"] = classified.detach()
            main = main + conditional.CRITIC_CLASSIFIER_WEIGHT * classified
        if self.penalty is None:
            return main, stats
        penalty = self.penalty(critic, real, fake, rng, **({"labels": labels} if labels.conditional else {}))
        if measured:
            stats["critic/penalty"] = penalty.detach()
        return main + self.penalty_weight_at(step) * penalty, stats

    def generator_phase(
        self, critic: Critic, real: Tensor, fake: Tensor, rng: torch.Generator, step: int,
        labels: Labels = UNLABELLED,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The generator's loss on fresh fakes that still carry the generator's graph (+ 0.1 x the auxiliary
        classifier's cross-entropy on them under "acgan"). Only a relativistic loss looks at `real` (the training
        step gives the last critic update's real batch, as R3GAN's code does): it is scored beside the fakes in one
        forward pass, as in the critic's phase; the others never score it."""
        std = self.noise_std(step)
        axis = stacking.batch_axis()
        if not self.loss.relativistic:
            fake = self.critic_input(fake, std, rng)
            raw, logits = conditional.critic_output(critic, fake, labels.fake)
            loss = self.loss.generator(stacking.scores(penalties.full_precision(raw)))
        else:
            real = self.critic_input(real.detach(), std, rng)
            fake = self.critic_input(fake, std, rng)
            both = torch.cat([real, fake], dim=axis)
            raw, logits = conditional.critic_output(critic, both, labels.both())
            scores = stacking.scores(penalties.full_precision(raw))
            loss = self.loss.generator(scores[..., : real.shape[axis]], scores[..., real.shape[axis]:])
            logits = None if logits is None else logits[real.shape[axis]:]
        stats = {"generator/loss": loss.detach()}
        if self.classifier and logits is not None and labels.fake is not None:
            classified = conditional.classifier_loss(logits, labels.fake)
            stats["generator/classifier_loss"] = classified.detach()
            loss = loss + conditional.GENERATOR_CLASSIFIER_WEIGHT * classified
        return loss, stats


def build_objective(
    config: ObjectiveConfig, decay_steps: int = 0, classifier: bool = False, augment: Augment | None = None
) -> Objective:
    """Resolve every name in the objective section once; a decaying penalty weight falls over `decay_steps`
    generator steps (the run's optim.decay_steps, else train.steps); `classifier`: the critic has an auxiliary
    classifier head (model.conditioning = "acgan"), whose cross-entropy terms join both losses; `augment`: the
    transform of every critic input (data.augment; data/augment.py)."""
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
        penalty_factor=_penalty_factor(config, decay_steps),
        classifier=classifier,
        augment=augment,
    )


def _penalty_factor(config: ObjectiveConfig, decay_steps: int) -> Callable[[int], float]:
    """generator step -> the factor of objective.penalty_weight on the objective.penalty_decay shape."""
    decay = PENALTY_DECAYS.resolve(config.penalty_decay)
    if decay.name == "none":
        return schedules.unchanged
    if decay_steps < 1:
        raise ValueError(f"objective.penalty_decay {decay.name!r} needs the run's decay horizon (decay_steps >= 1)")
    return functools.partial(decay.factor, horizon=decay_steps, final=config.penalty_final)
