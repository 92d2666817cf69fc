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
from wganlab.sharding import global_mean
from wganlab.stacking import scores

CriticLoss = Callable[[Tensor, Tensor], Tensor]  # (real_scores [N], fake_scores [N]) -> scalar
# fake_scores -> scalar; a relativistic loss's takes (real_scores, fake_scores), as its critic loss does
GeneratorLoss = Callable[[Tensor], Tensor] | Callable[[Tensor, Tensor], Tensor]
Estimate = Callable[[Tensor, Tensor], Tensor]  # (real_scores, fake_scores) -> the divergence the critic estimates


@dataclass(frozen=True)
class Loss:
    """A critic loss and a generator loss that belong together, and what the critic's scores estimate."""

    name: str
    description: str
    critic: CriticLoss
    generator: GeneratorLoss  # fake_scores -> scalar, or (real_scores, fake_scores) -> scalar where relativistic
    estimate: Estimate  # the divergence curve a user can plot against sample quality
    needs_lipschitz: bool = False  # without a penalty or constraint the critic's scores grow without bound
    lipschitz_critic: bool = False  # meant for a ~1-Lipschitz critic: its estimate is then one of W1
    relativistic: bool = False  # the generator's loss scores real data too: its phase takes a real batch
    pairs_rows: bool = False  # real row i is compared with fake row i: both batches must be the same size


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


def rpgan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E_i[softplus(-(D(real_i) - D(fake_i)))]: the relativistic pairing loss (RpGAN; Jolicoeur-Martineau 2019,
    R3GAN, Huang et al. 2024). Row i of the real batch is paired with row i of the fake batch, as drawn: the
    critic's batch and the generator's fakes of the same update, without shuffling (R3GAN's code pairs them so)."""
    return F.softplus(scores(fake_scores) - scores(real_scores)).mean(-1)


def rpgan_generator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E_i[softplus(-(D(fake_i) - D(real_i)))]: RpGAN's generator loss, row i with row i as the critic's."""
    return F.softplus(scores(real_scores) - scores(fake_scores)).mean(-1)


def ragan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E_r[softplus(-(D(real) - E_f D(fake)))] + E_f[softplus(D(fake) - E_r D(real))]: the relativistic average
    standard loss (RaSGAN, Jolicoeur-Martineau 2019, its L_D). The paper's code halves both players' losses:
    alone, Adam does not see that, but beside a penalty it doubles the penalty's share, so a penalty weight
    published with that code is twice the weight here. The means are over the whole (global) batch."""
    real, fake = scores(real_scores), scores(fake_scores)
    return F.softplus(global_mean(fake) - real).mean(-1) + F.softplus(fake - global_mean(real)).mean(-1)


def ragan_generator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E_f[softplus(-(D(fake) - E_r D(real)))] + E_r[softplus(D(real) - E_f D(fake))]: RaSGAN's generator loss,
    the critic's with real and fake exchanged; the generator's gradient flows through both terms."""
    real, fake = scores(real_scores), scores(fake_scores)
    return F.softplus(global_mean(real) - fake).mean(-1) + F.softplus(real - global_mean(fake)).mean(-1)


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
    Loss(
        "rpgan",
        "RpGAN (R3GAN): critic softplus(-(D(real_i) - D(fake_i))), generator the same with real and fake "
        "exchanged; real row i paired with fake row i",
        rpgan_critic_loss,
        rpgan_generator_loss,
        mean_difference,
        relativistic=True,
        pairs_rows=True,
    ),
    Loss(
        "ragan",
        "RaGAN (relativistic average): each score against the other batch's mean score, softplus as the GAN's",
        ragan_critic_loss,
        ragan_generator_loss,
        mean_difference,
        relativistic=True,
    ),
])
