"""Adversarial losses: functions from raw critic scores to the scalar each player minimises.

Scores are raw critic outputs of shape [N] or [N, 1] (under a sweep [K, N] or [K, N, 1], and each function
gives one value per member, stacking.py); no model ever squashes them through a
sigmoid. Where a loss needs log s(D) (s = sigmoid) it is written with softplus, which is exact
and cannot overflow: -log s(t) = softplus(-t), -log(1 - s(t)) = softplus(t).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from wganlab.parts import Parts
from wganlab.stacking import scores

CriticLoss = Callable[[Tensor, Tensor], Tensor]  # (real_scores [N], fake_scores [N]) -> scalar
Estimate = Callable[[Tensor, Tensor], Tensor]  # (real_scores, fake_scores) -> the divergence the critic estimates


@dataclass(frozen=True)
class Loss:
    """A critic loss and a generator loss that belong together, and what the critic's scores estimate."""

    name: str
    description: str
    critic: CriticLoss
    generator: Callable[[Tensor], Tensor]  # fake_scores -> scalar
    estimate: Estimate  # the divergence curve a user can plot against sample quality
    needs_lipschitz: bool = False  # without a penalty or constraint the critic's scores grow without bound
    lipschitz_critic: bool = False  # meant for a ~1-Lipschitz critic: its estimate is then one of W1


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[D(fake)] - E[D(real)]: the negated Kantorovich-Rubinstein estimate of W1 (Arjovsky et al. 2017)."""
    return scores(fake_scores).mean(-1) - scores(real_scores).mean(-1)


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[D(fake)] (Arjovsky et al. 2017)."""
    return -scores(fake_scores).mean(-1)


def minimax_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """-E log s(D(x)) - E log(1 - s(D(G(z)))) = E[softplus(-D(real))] + E[softplus(D(fake))].

    Goodfellow et al. 2014.
    """
    return F.softplus(-scores(real_scores)).mean(-1) + F.softplus(scores(fake_scores)).mean(-1)


def minimax_generator_loss(fake_scores: Tensor) -> Tensor:
    """Saturating E log(1 - s(D(G(z)))) = -E[softplus(D(fake))] (Goodfellow et al. 2014)."""
    return -F.softplus(scores(fake_scores)).mean(-1)


def non_saturating_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E log s(D(G(z))) = E[softplus(-D(fake))] (Goodfellow et al. 2014, Sec. 3)."""
    return F.softplus(-scores(fake_scores)).mean(-1)


def hinge_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[relu(1 - D(real))] + E[relu(1 + D(fake))] (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - scores(real_scores)).mean(-1) + F.relu(1.0 + scores(fake_scores)).mean(-1)


def hinge_generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[D(fake)] (Lim & Ye 2017)."""
    return -scores(fake_scores).mean(-1)


def least_squares_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """0.5 E[(D(real) - 1)^2] + 0.5 E[D(fake)^2] (Mao et al. 2017, a = 0, b = c = 1)."""
    real_term = (scores(real_scores) - 1.0).pow(2).mean(-1)
    fake_term = scores(fake_scores).pow(2).mean(-1)
    return 0.5 * real_term + 0.5 * fake_term


def least_squares_generator_loss(fake_scores: Tensor) -> Tensor:
    """0.5 E[(D(fake) - 1)^2] (Mao et al. 2017, c = 1)."""
    return 0.5 * (scores(fake_scores) - 1.0).pow(2).mean(-1)


def mean_difference(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[D(real)] - E[D(fake)]: the Wasserstein estimate when the critic is 1-Lipschitz (WGAN eq. 3)."""
    return scores(real_scores).mean(-1) - scores(fake_scores).mean(-1)


def jensen_shannon_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """log 2 + (E log s(D(real)) + E log(1 - s(D(fake)))) / 2: the JS estimate of a GAN discriminator.

    It equals JS(P_r, P_g) at the optimal discriminator (Goodfellow et al. 2014, Theorem 1).
    """
    return math.log(2.0) - 0.5 * minimax_critic_loss(real_scores, fake_scores)


LOSSES: Parts[Loss] = Parts("objective.loss", [
    Loss(
        "wasserstein",
        "WGAN: critic maximises E[D(real)] - E[D(fake)], an estimate of W1 (needs a Lipschitz method)",
        wasserstein_critic_loss,
        wasserstein_generator_loss,
        mean_difference,
        needs_lipschitz=True,
        lipschitz_critic=True,
    ),
    Loss(
        "minimax",
        "original GAN: generator minimises the saturating E[log(1 - sigmoid(D(G(z))))]",
        minimax_critic_loss,
        minimax_generator_loss,
        jensen_shannon_estimate,
    ),
    Loss(
        "non-saturating",
        "GAN with the non-saturating generator loss -E[log sigmoid(D(G(z)))]",
        minimax_critic_loss,
        non_saturating_generator_loss,
        jensen_shannon_estimate,
    ),
    Loss(
        "hinge",
        "hinge: critic E[relu(1 - D(real))] + E[relu(1 + D(fake))], generator -E[D(fake)]",
        hinge_critic_loss,
        hinge_generator_loss,
        mean_difference,
        lipschitz_critic=True,
    ),
    Loss(
        "least-squares",
        "LSGAN (a=0, b=c=1): squared distance of scores to the real/fake targets",
        least_squares_critic_loss,
        least_squares_generator_loss,
        mean_difference,
    ),
])
