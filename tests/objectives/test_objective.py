"""The composed objective: every combination builds, a linear critic's total in closed form, estimates,
detached fakes and instance noise against a reference drawn from a cloned generator."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab.config import ObjectiveConfig
from wganlab.models.mlp import MLP
from wganlab.objectives.constraints import CONSTRAINTS
from wganlab.objectives.losses import LOSSES, jensen_shannon_estimate, mean_difference
from wganlab.objectives.objective import Objective, build_objective
from wganlab.objectives.penalties import PENALTIES

F64 = torch.float64


def _rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(n: int = 8, seed: int = 1) -> tuple[Tensor, Tensor]:
    rng = _rng(seed)
    return torch.randn(n, 2, generator=rng), torch.randn(n, 2, generator=rng) + 1.0


class RecordingCritic(nn.Module):
    """A linear critic that keeps every input it is called with."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.seen: list[Tensor] = []

    def forward(self, x: Tensor) -> Tensor:  # [N, 2] -> [N, 1]
        self.seen.append(x.detach().clone())
        return self.linear(x)


class FirstCoordinate(nn.Module):
    """D(x) = x[:, 0]: lets a test choose the critic's scores exactly."""

    def forward(self, x: Tensor) -> Tensor:  # [N, 2] -> [N]
        return x[:, 0]


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_combination_builds_and_gives_finite_losses(loss: str, penalty: str) -> None:
    real, fake = _batch()
    for constraint in CONSTRAINTS:
        for noise_std in (0.0, 0.1):
            config = ObjectiveConfig(
                loss=loss,
                penalty=penalty,
                penalty_weight=0.5,
                constraint=constraint,
                instance_noise_std=noise_std,
                instance_noise_steps=10,
            )
            objective = build_objective(config)
            torch.manual_seed(0)
            critic = objective.constraint.prepare(MLP(2, 1, 16, 1, "relu"))

            total, stats = objective.critic_phase(critic, real, fake, _rng(), step=0)
            expected_keys = {"critic/loss", "critic/estimate", "critic/real_score", "critic/fake_score"}
            if penalty != "none":
                expected_keys.add("critic/penalty")
            assert set(stats) == expected_keys, (loss, penalty, constraint, noise_std)
            assert total.dim() == 0 and torch.isfinite(total)
            assert all(v.dim() == 0 and torch.isfinite(v) and not v.requires_grad for v in stats.values())
            if penalty == "none":
                assert_close(total.detach(), stats["critic/loss"])
            else:  # total = main + weight * penalty
                assert_close(total.detach(), stats["critic/loss"] + 0.5 * stats["critic/penalty"])
            total.backward()
            assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in critic.parameters())

            fake_with_graph = fake.clone().requires_grad_(True)
            generator_loss, generator_stats = objective.generator_phase(
                critic, real, fake_with_graph, _rng(), step=0
            )
            assert set(generator_stats) == {"generator/loss"}
            assert generator_loss.dim() == 0 and torch.isfinite(generator_loss)
            assert_close(generator_stats["generator/loss"], generator_loss.detach())
            generator_loss.backward()
            assert fake_with_graph.grad is not None and torch.isfinite(fake_with_graph.grad).all()


@pytest.mark.parametrize("weight, target", [(10.0, 1.0), (0.1, 1.0), (2.0, 0.5)])
def test_linear_critic_total_with_gradient_penalty(weight: float, target: float) -> None:
    critic = nn.Linear(2, 1).to(F64)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, -4.0]], dtype=F64))  # ||w|| = 5
        critic.bias.fill_(0.25)
    objective = build_objective(
        ObjectiveConfig(loss="wasserstein", penalty="gp", penalty_weight=weight, penalty_target=target)
    )
    real, fake = (t.to(F64) for t in _batch(16))
    total, stats = objective.critic_phase(critic, real, fake, _rng(), step=0)

    w = critic.weight.detach().reshape(-1)
    main = (fake @ w + 0.25).mean() - (real @ w + 0.25).mean()
    expected_penalty = (w.norm() - target) ** 2  # the gradient of a linear critic is w everywhere
    assert_close(total.detach(), main + weight * expected_penalty)
    assert_close(stats["critic/penalty"], expected_penalty)
    assert_close(stats["critic/loss"], main)
    assert_close(stats["critic/estimate"], -main)


def test_wasserstein_estimate_is_mean_difference() -> None:
    objective = build_objective(ObjectiveConfig(loss="wasserstein", penalty="none", constraint="clip"))
    real_scores = torch.tensor([1.0, 2.0, 6.0, -1.0])
    fake_scores = torch.tensor([0.5, -3.0, 0.0, 0.5])
    real = torch.stack([real_scores, torch.zeros(4)], dim=1)  # [4, 2], scored by x[:, 0]
    fake = torch.stack([fake_scores, torch.zeros(4)], dim=1)
    _, stats = objective.critic_phase(FirstCoordinate(), real, fake, _rng(), step=0)
    assert_close(stats["critic/estimate"], torch.tensor(2.0 - (-0.5)))
    assert_close(stats["critic/real_score"], torch.tensor(2.0))
    assert_close(stats["critic/fake_score"], torch.tensor(-0.5))
    assert_close(mean_difference(real_scores, fake_scores), torch.tensor(2.5))


def test_jensen_shannon_estimate_limits() -> None:
    zeros = torch.zeros(8, dtype=F64)
    assert_close(jensen_shannon_estimate(zeros, zeros), torch.tensor(0.0, dtype=F64))
    large = torch.full((8,), 50.0, dtype=F64)
    assert_close(jensen_shannon_estimate(large, -large), torch.tensor(math.log(2.0), dtype=F64))
    # in between it is log 2 - softplus(-t): strictly between the two limits
    t = torch.full((8,), 1.0, dtype=F64)
    assert_close(
        jensen_shannon_estimate(t, -t), torch.tensor(math.log(2.0) - math.log1p(math.exp(-1.0)), dtype=F64)
    )


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_gan_losses_report_jensen_shannon_estimate(loss: str) -> None:
    objective = build_objective(ObjectiveConfig(loss=loss, penalty="none"))
    real = torch.tensor([[40.0, 0.0], [40.0, 1.0]])
    _, stats = objective.critic_phase(FirstCoordinate(), real, -real, _rng(), step=0)
    assert_close(stats["critic/estimate"], torch.tensor(math.log(2.0)))


@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_critic_phase_detaches_fakes(penalty: str) -> None:
    torch.manual_seed(0)
    generator = MLP(2, 2, 16, 1, "relu")
    critic = MLP(2, 1, 16, 1, "relu")
    latents = torch.randn(8, 2, generator=_rng(3))
    fake = generator(latents)
    assert fake.requires_grad
    real, _ = _batch()
    objective = build_objective(ObjectiveConfig(penalty=penalty, penalty_weight=1.0))
    total, _ = objective.critic_phase(critic, real, fake, _rng(), step=0)
    total.backward()
    assert all(p.grad is None for p in generator.parameters())
    assert all(p.grad is not None for p in critic.parameters())


def _noise_objective(std: float, steps: int) -> Objective:
    return build_objective(
        ObjectiveConfig(penalty="none", instance_noise_std=std, instance_noise_steps=steps)
    )


@pytest.mark.parametrize("step, expected_std", [(0, 0.4), (5, 0.2), (8, 0.08), (10, 0.0), (15, 0.0)])
def test_instance_noise_perturbs_critic_inputs_with_decaying_std(step: int, expected_std: float) -> None:
    real, fake = _batch()
    objective = _noise_objective(0.4, 10)
    critic = RecordingCritic()
    objective.critic_phase(critic, real, fake, _rng(7), step=step)
    (seen,) = critic.seen
    reference_rng = _rng(7)  # real's noise is drawn first, then fake's
    noise_real = torch.randn(real.shape, generator=reference_rng)
    noise_fake = torch.randn(fake.shape, generator=reference_rng)
    expected = torch.cat([real + expected_std * noise_real, fake + expected_std * noise_fake])
    assert_close(seen, expected)
    if expected_std > 0:
        assert not torch.equal(seen, torch.cat([real, fake]))

    critic.seen.clear()
    objective.generator_phase(critic, real, fake, _rng(7), step=step)
    (seen,) = critic.seen
    assert_close(seen, fake + expected_std * torch.randn(fake.shape, generator=_rng(7)))


def test_constant_instance_noise_when_steps_is_zero() -> None:
    real, fake = _batch()
    critic = RecordingCritic()
    _noise_objective(0.3, 0).critic_phase(critic, real, fake, _rng(2), step=10_000)
    rng = _rng(2)
    expected_real = real + 0.3 * torch.randn(real.shape, generator=rng)
    assert_close(critic.seen[0][: len(real)], expected_real)


def test_zero_instance_noise_leaves_inputs_untouched() -> None:
    real, fake = _batch()
    critic = RecordingCritic()
    rng = _rng(5)
    state_before = rng.get_state()
    objective = _noise_objective(0.0, 0)
    objective.critic_phase(critic, real, fake, rng, step=0)
    objective.generator_phase(critic, real, fake, rng, step=0)
    assert torch.equal(critic.seen[0], torch.cat([real, fake]))
    assert torch.equal(critic.seen[1], fake)
    assert torch.equal(rng.get_state(), state_before)  # no noise drawn
