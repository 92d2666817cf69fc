"""Under data.augment the critic scores augmented images in every phase, and each penalty is taken at the points
it names: GP at interpolates of the augmented real and fake batches, R1 at the augmented reals, R2 at the
augmented fakes. Checked on a fixed critic, D(x) = ||x||^2 / 2, whose input gradient is x itself, against draws
taken by hand from a cloned stream."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from wganlab.config import ObjectiveConfig
from wganlab.data.augment import composed
from wganlab.objectives.objective import build_objective

F64 = torch.float64
POLICY = ["color", "translation", "cutout"]


class HalfSquaredNorm(nn.Module):
    """D(x) = ||x||^2 / 2 per image, so grad D(x) = x; keeps every input it scores."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Tensor] = []

    def forward(self, x: Tensor) -> Tensor:  # [N, C, H, W] -> [N, 1]
        self.seen.append(x.detach().clone())
        return 0.5 * x.pow(2).flatten(1).sum(1, keepdim=True)


def _batches() -> tuple[Tensor, Tensor]:
    rng = torch.Generator().manual_seed(1)
    real = torch.rand(6, 3, 8, 8, generator=rng, dtype=F64) * 2 - 1
    return real, torch.rand(6, 3, 8, 8, generator=rng, dtype=F64) * 2 - 1


def _squared_norms(x: Tensor) -> Tensor:
    return x.pow(2).flatten(1).sum(1)


@pytest.mark.parametrize("penalty", ["gp", "r1", "r2"])
def test_each_penalty_is_taken_at_the_augmented_points(penalty: str) -> None:
    augment = composed(POLICY)
    objective = build_objective(ObjectiveConfig(penalty=penalty, penalty_weight=1.0), augment=augment)
    real, fake = _batches()
    critic = HalfSquaredNorm()
    _, stats = objective.critic_phase(critic, real, fake, torch.Generator().manual_seed(2), 0)
    by_hand = torch.Generator().manual_seed(2)
    real_seen, fake_seen = augment(real, by_hand), augment(fake, by_hand)  # real first, then fake: their own draws
    assert torch.equal(critic.seen[0], torch.cat([real_seen, fake_seen]))  # the main loss's scores
    if penalty == "gp":
        eps = torch.rand(6, 1, 1, 1, generator=by_hand, dtype=F64)
        expected = (_squared_norms(eps * real_seen + (1 - eps) * fake_seen).add(1e-12).sqrt() - 1).pow(2).mean()
        unaugmented = (_squared_norms(eps * real + (1 - eps) * fake).add(1e-12).sqrt() - 1).pow(2).mean()
    else:
        points, plain = (real_seen, real) if penalty == "r1" else (fake_seen, fake)
        expected, unaugmented = _squared_norms(points).mean(), _squared_norms(plain).mean()
    torch.testing.assert_close(stats["critic/penalty"], expected, rtol=1e-12, atol=0)
    assert abs(float(expected - unaugmented)) > 0.1 * float(expected)  # the augmentation moves the points


def test_the_generator_phase_scores_freshly_augmented_fakes_and_its_gradient_flows_through_them() -> None:
    augment = composed(POLICY)
    objective = build_objective(ObjectiveConfig(), augment=augment)
    real, fake = _batches()
    fake.requires_grad_(True)
    critic = HalfSquaredNorm()
    loss, _ = objective.generator_phase(critic, real, fake, torch.Generator().manual_seed(3), 0)
    loss.backward()
    seen = augment(fake.detach(), torch.Generator().manual_seed(3))
    assert torch.equal(critic.seen[0], seen)
    # loss = -mean D(A(fake)): its gradient is A's vector-Jacobian product with -A(fake) / N, the same draws
    through = torch.autograd.functional.vjp(lambda x: augment(x, torch.Generator().manual_seed(3)), fake.detach(),
                                            -seen / 6)[1]
    assert fake.grad is not None and not (fake.grad == 0).all()
    torch.testing.assert_close(fake.grad, through, rtol=1e-12, atol=0)


def test_a_relativistic_generator_phase_scores_its_real_batch_augmented_too() -> None:
    augment = composed(POLICY)
    objective = build_objective(ObjectiveConfig(loss="rpgan", penalty="r1+r2"), augment=augment)
    real, fake = _batches()
    critic = HalfSquaredNorm()
    objective.generator_phase(critic, real, fake, torch.Generator().manual_seed(4), 0)
    by_hand = torch.Generator().manual_seed(4)
    real_seen = augment(real, by_hand)  # real first, then fake: their own draws
    assert torch.equal(critic.seen[0], torch.cat([real_seen, augment(fake, by_hand)]))


def test_without_augmentation_the_critic_sees_its_batches_as_given() -> None:
    objective = build_objective(ObjectiveConfig(penalty="r1"))
    real, fake = _batches()
    critic = HalfSquaredNorm()
    objective.critic_phase(critic, real, fake, torch.Generator().manual_seed(2), 0)
    assert torch.equal(critic.seen[0], torch.cat([real, fake]))
