"""A conditional critic's penalties and losses against hand computations: every penalty with labels on a fixed
critic whose input gradient depends on the label, the interpolates' label rule, and the auxiliary classifier's
cross-entropy terms (critic weight 1 on the reals, generator weight 0.1 on the fakes)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab.config import ObjectiveConfig
from wganlab.models.conditional import ClassBound
from wganlab.objectives.conditional import Labels
from wganlab.objectives.objective import build_objective
from wganlab.objectives.penalties import PENALTIES, interpolate

F64 = torch.float64
K, N, D = 3, 12, 6


class PerClassLinear(nn.Module):
    """(x, y) -> [w_y . x + b_y, x @ V]: a score whose input gradient is w_y (norm |w_y|, a different one per class)
    and K class logits that depend on x too, so a penalty that read them would be caught."""

    classes = K

    def __init__(self) -> None:
        super().__init__()
        rng = torch.Generator().manual_seed(3)
        w = torch.randn(K, D, generator=rng, dtype=F64)
        self.w = nn.Parameter(w / w.norm(dim=1, keepdim=True) * torch.tensor([0.5, 1.7, 3.0], dtype=F64)[:, None])
        self.b = nn.Parameter(torch.tensor([0.3, -1.0, 2.0], dtype=F64))
        self.v = nn.Parameter(torch.randn(D, K, generator=rng, dtype=F64))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        flat = x.reshape(len(x), -1)
        score = (flat * self.w[y]).sum(dim=1, keepdim=True) + self.b[y, None]
        return torch.cat([score, flat @ self.v], dim=1)


def _batch() -> tuple[Tensor, Tensor, Labels]:
    rng = torch.Generator().manual_seed(1)
    real = torch.randn(N, 2, 3, generator=rng, dtype=F64)  # [N, 2, 3]: D = 6 values per sample
    fake = torch.randn(N, 2, 3, generator=rng, dtype=F64) + 1.0
    y_real = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 0])  # unbalanced, so that which labels count shows
    y_fake = (y_real + 1) % K  # every fake's label differs from its real partner's
    return real, fake, Labels(y_real, y_fake)


def _expected(name: str, critic: PerClassLinear, real: Tensor, labels: Labels) -> Tensor:
    """Each penalty by hand: the input gradient at any point scored with label y is w_y."""
    at_real, at_fake = critic.w.norm(dim=1)[labels.real], critic.w.norm(dim=1)[labels.fake]
    scores = (real.reshape(N, -1) * critic.w[labels.real]).sum(1) + critic.b[labels.real]
    return {
        "gp": (at_real - 1).pow(2).mean(),  # interpolates keep their real sample's label
        "lp": F.relu(at_real - 1).pow(2).mean(),
        "r1": at_real.pow(2).mean(),
        "r2": at_fake.pow(2).mean(),
        "r1+r2": at_real.pow(2).mean() + at_fake.pow(2).mean(),
        "zero-gp": at_real.pow(2).mean(),
        "max-gp": at_real.pow(2).max(),
        "wgan-div": 0.5 * (at_real.pow(6).mean() + at_fake.pow(6).mean()),
        "dragan": (at_real - 1).pow(2).mean(),
        "drift": scores.pow(2).mean(),
    }[name]


PENALISED = [name for name, entry in PENALTIES.items() if entry.function is not None]  # a new one: KeyError above


@pytest.mark.parametrize("name", PENALISED)
def test_each_penalty_with_labels_equals_its_hand_computation(name: str) -> None:
    critic, (real, fake, labels) = PerClassLinear(), _batch()
    penalty = build_objective(ObjectiveConfig(penalty=name, penalty_weight=1.0)).penalty
    assert penalty is not None
    value = penalty(critic, real, fake, torch.Generator().manual_seed(0), labels=labels)
    assert_close(value, _expected(name, critic, real, labels).detach())


def test_the_interpolates_keep_their_real_samples_label_not_the_fakes() -> None:
    critic, (real, fake, labels) = PerClassLinear(), _batch()
    gp = build_objective(ObjectiveConfig(penalty="gp", penalty_weight=1.0)).penalty
    assert gp is not None
    value = gp(critic, real, fake, torch.Generator().manual_seed(0), labels=labels)
    with_fake_labels = (critic.w.norm(dim=1)[labels.fake] - 1).pow(2).mean()
    assert not math.isclose(float(value.detach()), float(with_fake_labels.detach()), rel_tol=1e-3)  # not vacuous
    torch.manual_seed(0)
    network = PerClassTanh()  # and per sample, through a nonlinear critic
    assert_close(gp(network, real, fake, torch.Generator().manual_seed(0), labels=labels),
                 _per_sample_gp(network, real, fake, labels))


def _per_sample_gp(critic: nn.Module, real: Tensor, fake: Tensor, labels: Labels) -> Tensor:
    """WGAN-GP by hand, one interpolate at a time: x_hat_i = eps_i real_i + (1 - eps_i) fake_i (the draws of a
    generator seeded 0), its gradient through the score of critic(x_hat_i, real_i's label) alone."""
    points = interpolate(real, fake, torch.Generator().manual_seed(0))
    norms = []
    for point, label in zip(points, labels.real, strict=True):
        x = point[None].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(ClassBound(critic, int(label))(x).sum(), x)
        norms.append(grad.norm())
    return (torch.stack(norms) - 1).pow(2).mean().detach()


class PerClassTanh(nn.Module):
    """(x, y) -> the y-th of K scores of a small tanh network: a nonlinear critic whose label picks its score."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(D, 8), nn.Tanh(), nn.Linear(8, K)).double()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net(x).gather(1, y[:, None])


def test_the_auxiliary_classifier_terms_are_weighted_one_for_the_critic_and_a_tenth_for_the_generator() -> None:
    critic, (real, fake, labels) = PerClassLinear(), _batch()
    objective = build_objective(ObjectiveConfig(penalty="gp", penalty_weight=10.0), classifier=True)
    rng = torch.Generator().manual_seed(0)
    loss, stats = objective.critic_phase(critic, real, fake, rng, 0, labels)
    out_real, out_fake = critic(real, labels.real), critic(fake, labels.fake)
    wasserstein = out_fake[:, 0].mean() - out_real[:, 0].mean()
    classifier = F.cross_entropy(out_real[:, 1:], labels.real)  # on the real batch only, as the WGAN-GP code
    gp = (critic.w.norm(dim=1)[labels.real] - 1).pow(2).mean()
    assert_close(loss, wasserstein + 1.0 * classifier + 10.0 * gp)
    assert_close(stats["critic/classifier_loss"], classifier.detach())
    loss, stats = objective.generator_phase(critic, real, fake, rng, 0, labels)
    assert_close(loss, -out_fake[:, 0].mean() + 0.1 * F.cross_entropy(out_fake[:, 1:], labels.fake))
    unconditioned = build_objective(ObjectiveConfig(penalty="gp", penalty_weight=10.0))  # projection: no such term
    loss, stats = unconditioned.critic_phase(critic, real, fake, rng, 0, labels)
    assert_close(loss, wasserstein + 10.0 * gp)
    assert "critic/classifier_loss" not in stats


@pytest.mark.parametrize("conditioning", ["projection", "acgan"])
def test_the_gradient_penalty_of_a_shipped_conditional_critic_is_its_per_sample_one(conditioning: str) -> None:
    """The dcgan critic with its projection or classifier head: each interpolate's gradient taken alone, with its
    real sample's label, through the score alone."""
    from wganlab.config import ModelConfig
    from wganlab.models.architectures import build_networks

    torch.manual_seed(0)
    model = ModelConfig(arch="dcgan", width=4, latent_dim=4, conditioning=conditioning, classes=K)
    _, critic = build_networks(model, (1, 8, 8))
    critic = critic.double()
    rng = torch.Generator().manual_seed(1)
    real, fake = (torch.randn(N, 1, 8, 8, generator=rng, dtype=F64) for _ in range(2))
    labels = Labels(torch.arange(N) % K, (torch.arange(N) + 1) % K)
    gp = build_objective(ObjectiveConfig(penalty="gp", penalty_weight=1.0)).penalty
    assert gp is not None
    value = gp(critic, real, fake, torch.Generator().manual_seed(0), labels=labels)
    assert_close(value, _per_sample_gp(critic, real, fake, labels))
