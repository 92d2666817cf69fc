"""The labels of a conditional update, and how the objective reads a conditional critic (models/conditional.py).

A conditional critic takes (x, y). Its score is the first column of its output; under "acgan" the other K columns
are an auxiliary classifier's logits, which only the cross-entropy terms below read (never the penalties, which
act on the score alone, as the WGAN-GP CIFAR-10 code's gradient penalty does).

Which label each point is scored with:
- a real sample: its own label; a generated one: the label it was generated for;
- a point made from a real sample (a gradient penalty's interpolate between real i and fake i, DRAGAN's
  perturbation of real i): real i's label. The interpolates of a conditional WGAN-GP keep their real sample's
  label (the WGAN-GP CIFAR-10 code scores them with the real batch's labels);
- R1 at the reals with theirs, R2 at the fakes with theirs; a penalty over both (R1 + R2, WGAN-div) each with its
  own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

Critic = Callable[..., Tensor]  # samples -> raw scores; a conditional critic (samples, labels) -> its output

# The auxiliary classifier's cross-entropy weights, as the WGAN-GP CIFAR-10 code's ACGAN_SCALE and ACGAN_SCALE_G:
# the critic's on the real batch, the generator's on its fakes.
CRITIC_CLASSIFIER_WEIGHT = 1.0
GENERATOR_CLASSIFIER_WEIGHT = 0.1


@dataclass(frozen=True)
class Labels:
    """The labels of one update's real and generated batches ([N] int64 each); None for an unconditional run."""

    real: Tensor | None = None
    fake: Tensor | None = None

    @property
    def conditional(self) -> bool:
        return self.real is not None or self.fake is not None

    def both(self) -> Tensor | None:
        """The labels of torch.cat([real, fake]); None for an unconditional update."""
        if self.real is None or self.fake is None:
            return None
        return torch.cat([self.real, self.fake])

    def at_real(self, critic: Critic) -> Critic:
        """The critic's score of points made from the real batch (the reals, their interpolates), each with its
        real sample's label; the critic itself when unconditional."""
        return bound(critic, self.real)

    def at_fake(self, critic: Critic) -> Critic:
        """The critic's score of the generated batch, each with the label it was generated for."""
        return bound(critic, self.fake)

    def at_both(self, critic: Critic) -> Critic:
        """The critic's score of the reals followed by the fakes (torch.cat([real, fake])), each with its own."""
        return bound(critic, self.both())


UNLABELLED = Labels()


def bound(critic: Critic, labels: Tensor | None) -> Critic:
    """x -> the score column of critic(x, labels) ([N, 1]); `critic` itself when `labels` is None."""
    if labels is None:
        return critic
    return lambda points: critic_output(critic, points, labels)[0]


def critic_output(critic: Critic, points: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """(scores, class logits or None) of `points`: the critic's output as it is when unconditional; its first column
    and the rest (when it has more: an auxiliary classifier) when conditional."""
    if labels is None:
        return critic(points), None
    output = critic(points, labels)
    return output[:, :1], (output[:, 1:] if output.shape[1] > 1 else None)


def classifier_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy of the auxiliary classifier's logits [N, K] (in float32 at least) against `labels`."""
    logits = logits.float() if logits.dtype in (torch.bfloat16, torch.float16) else logits
    return F.cross_entropy(logits, labels)
