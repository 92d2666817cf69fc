"""The objectives of today's baselines against closed forms in float64: the relativistic losses (RpGAN, RaGAN) by
hand and through the objective's phases with a linear and a quadratic critic, RpGAN's row pairing, the new
penalties (R1 + R2, zero-centred GP, max-GP, WGAN-div) on a linear and a quadratic critic, and the decay schedules
of the learning rates and the penalty weight."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import Tensor
from torch.testing import assert_close

from wganlab import schedules, stacking
from wganlab.config import ObjectiveConfig
from wganlab.objectives.losses import LOSSES, ragan_critic_loss, ragan_generator_loss, rpgan_critic_loss
from wganlab.objectives.objective import build_objective
from wganlab.objectives.penalties import PENALTIES, WGAN_DIV_POWER

F64 = torch.float64
REAL = torch.tensor([2.0, 0.5, -1.0, 0.0, 1.5], dtype=F64)
FAKE = torch.tensor([-2.0, -0.5, 1.0, 3.0, 0.25], dtype=F64)


def _softplus(t: float) -> float:
    return math.log1p(math.exp(t))


def _sigmoid(t: Tensor) -> Tensor:
    return 1.0 / (1.0 + torch.exp(-t))


def _rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_rpgan_by_hand_pairs_row_i_with_row_i() -> None:
    pairs = list(zip(REAL.tolist(), FAKE.tolist(), strict=True))
    critic = np.mean([_softplus(-(r - f)) for r, f in pairs])
    generator = np.mean([_softplus(-(f - r)) for r, f in pairs])
    loss = LOSSES["rpgan"]
    assert_close(loss.critic(REAL, FAKE), torch.tensor(critic, dtype=F64))
    assert_close(loss.generator(REAL, FAKE), torch.tensor(generator, dtype=F64))
    # The pairing matters: another order of the fake rows is another loss (a mean-based loss would not see it).
    shuffled = FAKE[[1, 2, 3, 4, 0]]
    assert abs(rpgan_critic_loss(REAL, shuffled).item() - critic) > 1e-2
    assert_close(ragan_critic_loss(REAL, shuffled), ragan_critic_loss(REAL, FAKE))


def test_ragan_by_hand_against_the_other_batch_s_mean() -> None:
    mean_real, mean_fake = REAL.mean().item(), FAKE.mean().item()
    critic = np.mean([_softplus(-(r - mean_fake)) for r in REAL.tolist()]) + np.mean(
        [_softplus(f - mean_real) for f in FAKE.tolist()])
    generator = np.mean([_softplus(-(f - mean_real)) for f in FAKE.tolist()]) + np.mean(
        [_softplus(r - mean_fake) for r in REAL.tolist()])
    assert_close(ragan_critic_loss(REAL, FAKE), torch.tensor(critic, dtype=F64))
    assert_close(ragan_generator_loss(REAL, FAKE), torch.tensor(generator, dtype=F64))


@pytest.mark.parametrize("name", ["rpgan", "ragan"])
def test_a_sweep_s_members_are_reduced_each_on_its_own(name: str) -> None:
    loss = LOSSES[name]
    real, fake = torch.stack([REAL, REAL + 1.0]), torch.stack([FAKE, -FAKE])  # [K = 2, N]
    with stacking.stacked(2):
        critic, generator = loss.critic(real, fake), loss.generator(real, fake)
    assert critic.shape == generator.shape == (2,)
    for k in range(2):
        assert_close(critic[k], loss.critic(real[k], fake[k]))
        assert_close(generator[k], loss.generator(real[k], fake[k]))


def _points(seed: int, n: int = 6, dim: int = 3) -> tuple[Tensor, Tensor]:
    gen = _rng(seed)
    return torch.randn(n, dim, generator=gen, dtype=F64), torch.randn(n, dim, generator=gen, dtype=F64) + 1.0


def _objective(loss: str, penalty: str = "none", **options: object):
    return build_objective(ObjectiveConfig(loss=loss, penalty=penalty, **options))  # type: ignore[arg-type]


def test_rpgan_phases_with_a_linear_critic_give_the_closed_form_gradients() -> None:
    """D(x) = w . x + b: dL_D/dw = mean_i s(w.(f_i - r_i)) (f_i - r_i); dL_G/df_i = -s(w.(r_i - f_i)) w / N."""
    real, fake = _points(1)
    w = torch.tensor([0.7, -1.2, 0.4], dtype=F64, requires_grad=True)
    objective = _objective("rpgan")
    total, _ = objective.critic_phase(lambda x: x @ w + 0.3, real, fake, _rng(), step=0)
    (gradient,) = torch.autograd.grad(total, w)
    differences = fake - real
    expected = (_sigmoid(differences @ w.detach())[:, None] * differences).mean(0)
    assert_close(gradient, expected)
    moving = fake.clone().requires_grad_(True)
    loss, _ = objective.generator_phase(lambda x: x @ w.detach() + 0.3, real, moving, _rng(), step=0)
    (gradient,) = torch.autograd.grad(loss, moving)
    expected = -_sigmoid((real - fake) @ w.detach())[:, None] * w.detach() / len(fake)
    assert_close(gradient, expected)


def test_ragan_phases_with_a_linear_critic_give_the_closed_form_gradient() -> None:
    """dL_D/dw = mean_i s(m_f - r_i)(mean f - x_i) + mean_j s(f_j - m_r)(y_j - mean r), scores r, f of x, y."""
    real, fake = _points(2)
    w = torch.tensor([-0.5, 0.9, 1.1], dtype=F64, requires_grad=True)
    total, _ = _objective("ragan").critic_phase(lambda x: x @ w, real, fake, _rng(), step=0)
    (gradient,) = torch.autograd.grad(total, w)
    r, f = real @ w.detach(), fake @ w.detach()
    expected = (_sigmoid(f.mean() - r)[:, None] * (fake.mean(0) - real)).mean(0) + (
        _sigmoid(f - r.mean())[:, None] * (fake - real.mean(0))).mean(0)
    assert_close(gradient, expected)


@pytest.mark.parametrize("name", ["rpgan", "ragan"])
def test_relativistic_phases_with_a_quadratic_critic_equal_the_hand_computation(name: str) -> None:
    """D(x) = sum_k a_k x_k^2 scored through the objective's one forward pass of [real; fake]."""
    real, fake = _points(3)
    a = torch.tensor([0.5, -2.0, 1.0], dtype=F64)
    r, f = (real.pow(2) @ a).tolist(), (fake.pow(2) @ a).tolist()
    if name == "rpgan":
        critic = np.mean([_softplus(fi - ri) for ri, fi in zip(r, f, strict=True)])
        generator = np.mean([_softplus(ri - fi) for ri, fi in zip(r, f, strict=True)])
    else:
        mean_r, mean_f = np.mean(r), np.mean(f)
        critic = np.mean([_softplus(mean_f - ri) for ri in r]) + np.mean([_softplus(fi - mean_r) for fi in f])
        generator = np.mean([_softplus(mean_r - fi) for fi in f]) + np.mean([_softplus(ri - mean_f) for ri in r])
    objective = _objective(name)
    total, stats = objective.critic_phase(lambda x: x.pow(2) @ a, real, fake, _rng(), step=0)
    assert_close(total, torch.tensor(critic, dtype=F64))
    assert_close(stats["critic/estimate"], torch.tensor(np.mean(r) - np.mean(f), dtype=F64))
    loss, _ = objective.generator_phase(lambda x: x.pow(2) @ a, real, fake, _rng(), step=0)
    assert_close(loss, torch.tensor(generator, dtype=F64))


def test_only_a_relativistic_generator_phase_scores_the_real_batch() -> None:
    real, fake = _points(4)
    seen: list[Tensor] = []

    def critic(x: Tensor) -> Tensor:
        seen.append(x.detach().clone())
        return x.sum(1)

    _objective("wasserstein", "gp").generator_phase(critic, real, fake, _rng(), step=0)
    _objective("rpgan").generator_phase(critic, real, fake, _rng(), step=0)
    assert torch.equal(seen[0], fake) and torch.equal(seen[1], torch.cat([real, fake]))


def _linear(w: Tensor):
    return lambda x: x.reshape(x.shape[0], -1) @ w + 0.3


@pytest.mark.parametrize("shape", [(12, 2), (5, 2, 3, 3)])
def test_new_penalties_on_a_linear_critic(shape: tuple[int, ...]) -> None:
    """The input gradient is w everywhere: every point's squared norm is ||w||^2."""
    gen = _rng(5)
    real, fake = torch.randn(shape, generator=gen, dtype=F64), torch.randn(shape, generator=gen, dtype=F64) + 2
    w = torch.randn(int(np.prod(shape[1:])), generator=gen, dtype=F64)
    w = w / w.norm() * 1.3
    squared = 1.3**2
    expected = {"r1+r2": 2 * squared, "zero-gp": squared, "max-gp": squared, "wgan-div": squared ** 3}
    for name, value in expected.items():
        assert_close(PENALTIES[name].function(_linear(w), real, fake, _rng()), torch.tensor(value, dtype=F64))


def _quadratic(a: Tensor):
    return lambda x: (a * x.pow(2)).sum(dim=1)


def _squared_norm(a: Tensor, point: Tensor) -> float:
    """||grad D(x)||^2 = ||2 a x||^2 for D(x) = sum_k a_k x_k^2, by hand."""
    return float((2 * a * point).pow(2).sum())


def test_new_penalties_on_a_quadratic_critic_are_per_sample() -> None:
    real, fake = _points(6, n=16, dim=2)
    a = torch.tensor([0.5, 2.0], dtype=F64)
    critic = _quadratic(a)
    eps = torch.rand((16, 1), generator=_rng(7), dtype=F64)  # the interpolation weights the penalty draws
    interpolates = eps * real + (1 - eps) * fake
    on_interpolates = [_squared_norm(a, x) for x in interpolates]
    on_real, on_fake = [_squared_norm(a, x) for x in real], [_squared_norm(a, x) for x in fake]
    power = WGAN_DIV_POWER / 2
    expected = {
        "zero-gp": np.mean(on_interpolates),
        "max-gp": max(on_interpolates),
        "r1+r2": np.mean(on_real) + np.mean(on_fake),
        "wgan-div": 0.5 * (np.mean(np.power(on_real, power)) + np.mean(np.power(on_fake, power))),
    }
    for name, value in expected.items():
        assert_close(PENALTIES[name].function(critic, real, fake, _rng(7)), torch.tensor(value, dtype=F64))
    # Known slips give other numbers: the mean for max-GP, the norm rather than its square for the zero-centred GP.
    assert abs(expected["max-gp"] - np.mean(on_interpolates)) > 1e-2
    assert abs(expected["zero-gp"] - np.mean(np.sqrt(on_interpolates))) > 1e-2


def test_max_gp_takes_each_sweep_member_s_own_maximum() -> None:
    real, fake = _points(8, n=8, dim=2)
    members = torch.stack([real, 2 * real]), torch.stack([fake, fake])  # [K = 2, N, 2]
    critic = _quadratic(torch.tensor([1.0, -0.5], dtype=F64))
    with stacking.stacked(2):
        both = PENALTIES["max-gp"].function(critic, *members, stacking.Streams([_rng(9), _rng(10)]))
    alone = [PENALTIES["max-gp"].function(critic, members[0][k], members[1][k], _rng(9 + k)) for k in range(2)]
    assert_close(both, torch.stack(alone))


def test_the_decay_shapes_go_from_one_to_the_final_fraction() -> None:
    cosine, linear = schedules.DECAYS["cosine"].factor, schedules.DECAYS["linear"].factor
    assert cosine(0, 100, 0.25) == 1.0 and cosine(100, 100, 0.25) == pytest.approx(0.25)
    assert cosine(50, 100, 0.25) == pytest.approx(0.25 + 0.75 * 0.5) and cosine(250, 100, 0.25) == pytest.approx(0.25)
    assert cosine(25, 100, 0.0) == pytest.approx((1 + math.cos(math.pi / 4)) / 2)
    assert linear(30, 100, 0.0) == 1.0 - 30 / 100  # linear to 0 as before, to the bit
    assert linear(50, 100, 0.2) == pytest.approx(0.6) and linear(500, 100, 0.2) == pytest.approx(0.2)


def test_a_decaying_penalty_weight_is_the_one_the_critic_phase_uses() -> None:
    objective = build_objective(
        ObjectiveConfig(loss="rpgan", penalty="r1+r2", penalty_weight=0.05, penalty_decay="cosine",
                        penalty_final=0.1), decay_steps=200)
    assert objective.penalty_weight_at(0) == pytest.approx(0.05)
    assert objective.penalty_weight_at(100) == pytest.approx(0.05 * (0.1 + 0.9 * 0.5))
    assert objective.penalty_weight_at(200) == pytest.approx(0.005)
    real, fake = _points(11)
    a = torch.tensor([0.5, -2.0, 1.0], dtype=F64)
    total, stats = objective.critic_phase(_quadratic(a), real, fake, _rng(), step=100)
    assert_close(total, stats["critic/loss"] + objective.penalty_weight_at(100) * stats["critic/penalty"])
    constant = build_objective(ObjectiveConfig(penalty_weight=0.05))
    assert constant.penalty_weight_at(10**6) == 0.05
    with pytest.raises(ValueError, match="decay horizon"):
        build_objective(ObjectiveConfig(penalty_decay="cosine"))


@pytest.mark.parametrize("name", ["r1+r2", "wgan-div"])
def test_penalties_on_real_and_fake_take_one_pass_over_both(name: str) -> None:
    """One forward (and so one double backward) over [real; fake], not one per batch: the same numbers as R1 and
    R2 taken apart, at half the passes."""
    real, fake = _points(12)
    calls: list[int] = []
    a = torch.tensor([0.5, -2.0, 1.0], dtype=F64)

    def critic(x: Tensor) -> Tensor:
        calls.append(len(x))
        return x.pow(2) @ a

    value = PENALTIES[name].function(critic, real, fake, _rng())
    assert calls == [len(real) + len(fake)]
    if name == "r1+r2":
        r1, r2 = (PENALTIES[part].function(critic, real, fake, _rng()) for part in ("r1", "r2"))
        assert_close(value, r1 + r2)
