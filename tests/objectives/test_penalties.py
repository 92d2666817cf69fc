"""Penalties against closed forms (linear critics) and brute-force per-sample references."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from wganlab.objectives.penalties import (
    PENALTIES,
    dragan_penalty,
    drift_penalty,
    gradient_norms,
    interpolate,
    one_sided_penalty,
    r1_penalty,
    r2_penalty,
    two_sided_penalty,
)

F64 = torch.float64


def _rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _linear_critic(w: Tensor, b: float = 0.3):
    """D(x) = w . flatten(x) + b, whose input gradient is w everywhere."""
    return lambda x: x.reshape(x.shape[0], -1) @ w + b


def _batch(shape: tuple[int, ...], seed: int) -> tuple[Tensor, Tensor]:
    gen = _rng(seed)
    return torch.randn(shape, generator=gen, dtype=F64), torch.randn(shape, generator=gen, dtype=F64) + 2.0


SHAPES = [(16, 2), (8, 3, 4, 5)]  # toy points and images [N, C, H, W]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("target", [0.0, 0.5, 1.0, 3.0])
def test_linear_critic_two_and_one_sided(shape: tuple[int, ...], target: float) -> None:
    real, fake = _batch(shape, seed=1)
    w = torch.randn(int(np.prod(shape[1:])), generator=_rng(2), dtype=F64)
    w = w / w.norm() * 1.7  # ||w|| = 1.7: above some targets, below others
    critic = _linear_critic(w)
    norm = w.norm().item()
    assert_close(
        two_sided_penalty(critic, real, fake, _rng(), target=target),
        torch.tensor((norm - target) ** 2, dtype=F64),
    )
    expected_one_sided = max(0.0, norm - target) ** 2
    assert_close(
        one_sided_penalty(critic, real, fake, _rng(), target=target),
        torch.tensor(expected_one_sided, dtype=F64),
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_critic_r1_r2_dragan(shape: tuple[int, ...]) -> None:
    real, fake = _batch(shape, seed=3)
    w = torch.randn(int(np.prod(shape[1:])), generator=_rng(4), dtype=F64)
    critic = _linear_critic(w)
    squared = torch.tensor(w.norm().item() ** 2, dtype=F64)
    assert_close(r1_penalty(critic, real, fake, _rng()), squared)
    assert_close(r2_penalty(critic, real, fake, _rng()), squared)
    assert_close(dragan_penalty(critic, real, fake, _rng()), (w.norm() - 1.0) ** 2)


def _quadratic_critic(a: Tensor):
    """D(x) = sum_i a_i x_i^2: the gradient 2 a x differs from sample to sample."""
    return lambda x: (a * x.pow(2)).sum(dim=1)


def _single_norm(critic, point: Tensor) -> float:
    point = point.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(point[None]).sum(), point)
    return grad.norm().item()


def test_two_sided_is_per_sample() -> None:
    real, fake = _batch((32, 2), seed=5)
    critic = _quadratic_critic(torch.tensor([0.5, 2.0], dtype=F64))
    penalty = two_sided_penalty(critic, real, fake, _rng(7))

    eps = torch.rand((32, 1), generator=_rng(7), dtype=F64)
    points = eps * real + (1 - eps) * fake
    brute = np.mean([(_single_norm(critic, x) - 1.0) ** 2 for x in points])
    assert_close(penalty, torch.tensor(brute, dtype=F64))

    # Known bugs give a different number: one eps for the whole batch ...
    one_eps = torch.rand((1,), generator=_rng(7), dtype=F64)
    batch_points = one_eps * real + (1 - one_eps) * fake
    buggy_eps = np.mean([(_single_norm(critic, x) - 1.0) ** 2 for x in batch_points])
    assert abs(penalty.item() - buggy_eps) > 1e-3
    # ... and the norm over the whole batch instead of per sample.
    points.requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(points).sum(), points)
    assert abs(penalty.item() - (grads.norm().item() - 1.0) ** 2) > 1e-3


def test_interpolate_draws_one_eps_per_sample() -> None:
    real, fake = _batch((6, 3, 4, 4), seed=8)
    x_hat = interpolate(real, fake, _rng(9))
    eps = torch.rand((6, 1, 1, 1), generator=_rng(9), dtype=F64)
    assert_close(x_hat, eps * real + (1 - eps) * fake)
    ratio = (x_hat - fake) / (real - fake)  # every element of a sample shares its eps
    assert_close(ratio, ratio[:, :1, :1, :1].expand_as(ratio))
    assert ratio.min() >= 0 and ratio.max() <= 1 and ratio[:, 0, 0, 0].unique().numel() == 6


def test_dragan_matches_official_recipe() -> None:
    real, fake = _batch((10, 2), seed=10)
    critic = _quadratic_critic(torch.tensor([1.5, -0.7], dtype=F64))
    gen = _rng(11)
    u = torch.rand(real.shape, generator=gen, dtype=F64)
    alpha = torch.rand((10, 1), generator=gen, dtype=F64)
    perturbed = real + 0.5 * float(np.std(real.numpy())) * u  # numpy std, ddof = 0
    points = real + alpha * (perturbed - real)
    expected = np.mean([(_single_norm(critic, x) - 2.0) ** 2 for x in points])
    assert_close(dragan_penalty(critic, real, fake, _rng(11), target=2.0), torch.tensor(expected, dtype=F64))


def test_gradient_norms_at_zero_gradient_are_finite() -> None:
    points = torch.randn(5, 2)
    flat = gradient_norms(lambda x: 0.0 * x.sum(dim=1) + 3.0, points)
    bias = nn.Parameter(torch.tensor(1.0))
    ignores_input = gradient_norms(lambda x: bias.expand(x.shape[0]), points)
    for norms in (flat, ignores_input):
        assert torch.isfinite(norms).all()
        assert_close(norms, torch.full((5,), 1e-6))
    # Backward through the penalty at a zero gradient gives no NaN either.
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.zero_()
    two_sided_penalty(critic, points, points + 1, _rng()).backward()
    assert torch.isfinite(critic.weight.grad).all()


def _tiny_critic(w1: Tensor, w2: Tensor):
    return lambda x: torch.tanh(x @ w1) @ w2


@pytest.mark.parametrize("name", ["gp", "lp", "r1", "r2", "dragan", "r1+r2", "zero-gp", "max-gp", "wgan-div"])
def test_penalty_gradcheck_wrt_critic_parameters(name: str) -> None:
    penalty = PENALTIES[name].function
    real, fake = _batch((4, 2), seed=12)
    w2 = torch.tensor([1.3, -0.8, 2.1], dtype=F64)
    w1 = torch.randn(2, 3, generator=_rng(13), dtype=F64, requires_grad=True)
    # A fresh identically-seeded generator each call, so the random points stay fixed.
    assert torch.autograd.gradcheck(lambda w: penalty(_tiny_critic(w, w2), real, fake, _rng(14)), (w1,))


def test_inputs_are_constants() -> None:
    generator_weight = nn.Parameter(torch.ones(2))
    real = torch.randn(8, 2, requires_grad=True)
    fake = torch.randn(8, 2) * generator_weight  # carries generator graph
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    for penalty in (entry.function for entry in PENALTIES.values() if entry.function is not None):
        critic.zero_grad()
        penalty(critic, real, fake, _rng()).backward()
        assert generator_weight.grad is None and real.grad is None
        # The output bias does not move input gradients, so gradient penalties leave it without grad.
        assert torch.isfinite(critic[0].weight.grad).all()
        assert all(p.grad is None or torch.isfinite(p.grad).all() for p in critic.parameters())


def test_drift_is_mean_squared_real_score() -> None:
    real, fake = _batch((7, 3), seed=15)
    critic = nn.Linear(3, 1).double()
    expected = critic(real).detach().pow(2).mean()
    assert_close(drift_penalty(critic, real, fake, _rng()), expected)


@pytest.mark.parametrize("shape", SHAPES)
def test_registry_common_signature(shape: tuple[int, ...]) -> None:
    assert set(PENALTIES) == {"none", "gp", "lp", "r1", "r2", "dragan", "drift", "r1+r2", "zero-gp", "max-gp",
                              "wgan-div"}
    real, fake = _batch(shape, seed=16)
    w = torch.randn(int(np.prod(shape[1:])), generator=_rng(17), dtype=F64)
    critic = _linear_critic(w)
    for entry in PENALTIES.values():
        assert entry.description and (entry.function is None) == (entry.name == "none")
        if entry.function is not None:
            value = entry.function(critic, real, fake, _rng())
            assert value.dim() == 0 and torch.isfinite(value)
    bound = functools.partial(PENALTIES["gp"].function, target=0.0)
    assert_close(bound(critic, real, fake, _rng()), w.norm() ** 2)


def test_properties_say_which_penalties_act_per_sample_and_take_a_target() -> None:
    per_sample = {name for name, entry in PENALTIES.items() if entry.per_sample}
    # drift scores whole batches: BatchNorm is harmless
    assert per_sample == {"gp", "lp", "r1", "r2", "dragan", "r1+r2", "zero-gp", "max-gp", "wgan-div"}
    assert {name for name, entry in PENALTIES.items() if entry.takes_target} == {"gp", "lp", "dragan"}
