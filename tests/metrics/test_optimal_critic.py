"""The exact optimal critic f*: W1 and the potential against cases with known answers, exactly 1-Lipschitz on a grid,
and the comparison of a trained critic with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wganlab.metrics.optimal_critic import agreement, optimal_critic
from wganlab.metrics.transport import exact_w1


def test_two_point_masses() -> None:
    real, fake = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])
    critic = optimal_critic(real, fake)
    assert critic.w1 == pytest.approx(5.0, abs=1e-6) and critic.estimate == pytest.approx(5.0, abs=1e-6)
    along = np.linspace(0, 1, 11)[:, None] * np.array([[3.0, 4.0]])  # the segment real -> fake
    values = critic(along)
    np.testing.assert_allclose(values - values[0], -5.0 * np.linspace(0, 1, 11), atol=1e-6)  # slope 1 along it


def test_a_translated_set() -> None:
    points = torch.randn(40, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    shift = torch.tensor([0.3, -0.4], dtype=torch.float64)
    critic = optimal_critic(points, points + shift)
    assert critic.w1 == pytest.approx(0.5, abs=1e-6) and critic.estimate == pytest.approx(0.5, abs=1e-6)
    # every point's mass moves by the shift: f*(x) - f*(x + shift) = |shift| for each point, not only on average
    np.testing.assert_allclose(critic(points) - critic(points + shift), 0.5, atol=1e-6)


def test_one_dimensional_sets_where_the_potential_integrates_the_cdf_difference() -> None:
    # real {0, 1, 6} (1/3 each), fake {2, 3} (1/2 each): F_real - F_fake = 1/3, 2/3, 1/6 on [0,1), [1,2), [2,3),
    # -1/3 on [3,6): W1 = integral |F_real - F_fake| = 1/3 + 2/3 + 1/6 + 1 = 13/6, f*' = -sign(F_real - F_fake)
    real, fake = torch.tensor([[0.0], [1.0], [6.0]]), torch.tensor([[2.0], [3.0]])
    critic = optimal_critic(real, fake)
    assert critic.w1 == pytest.approx(13 / 6, abs=1e-6) and critic.estimate == pytest.approx(13 / 6, abs=1e-6)
    xs = np.linspace(0.0, 6.0, 61)[:, None]
    expected = np.where(xs[:, 0] <= 3.0, -xs[:, 0], -3.0 + (xs[:, 0] - 3.0))
    values = critic(xs)
    np.testing.assert_allclose(values - values[0], expected, atol=1e-6)


def test_the_c_transform_is_one_lipschitz_on_a_grid_and_certifies_w1() -> None:
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(60, 2, generator=rng), torch.randn(50, 2, generator=rng) * 0.5 + 1.0
    critic = optimal_critic(real, fake)
    assert critic.estimate == pytest.approx(critic.w1, abs=1e-6)
    assert critic.w1 == pytest.approx(exact_w1(real, fake), abs=1e-9)
    axis = np.linspace(-4, 4, 161)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1)  # [161, 161, 2]
    surface = critic(grid.reshape(-1, 2)).reshape(161, 161)
    step = axis[1] - axis[0]
    slopes = [np.abs(np.diff(surface, axis=a)).max() / step for a in (0, 1)]
    diagonal = np.abs(surface[1:, 1:] - surface[:-1, :-1]).max() / (step * np.sqrt(2))
    print(f"largest finite-difference slope of f*: {max(*slopes, diagonal):.9f}")
    assert max(*slopes, diagonal) <= 1 + 1e-6
    assert critic.coupling.sum() == pytest.approx(1.0) and critic.coupling.shape == (60, 50)


def test_agreement_of_f_star_with_itself_and_with_a_constant_critic() -> None:
    rng = torch.Generator().manual_seed(2)
    real, fake = torch.randn(30, 2, generator=rng, dtype=torch.float64), torch.randn(30, 2, generator=rng,
                                                                                       dtype=torch.float64) + 2.0
    critic = optimal_critic(real, fake)

    class Exact(torch.nn.Module):  # f* itself, through torch: its gradient is 1 on the coupling's segments
        def __init__(self) -> None:
            super().__init__()
            self.fake = torch.nn.Parameter(torch.tensor(critic.fake), requires_grad=False)
            self.potential = torch.tensor(critic.fake_potential)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return (torch.cdist(x, self.fake) - self.potential).min(dim=1).values

    held_out = torch.cat([torch.randn(50, 2, generator=rng, dtype=torch.float64), real])
    same = agreement(Exact(), critic, held_out, segment_points=64)
    assert same.rank_correlation == pytest.approx(1.0) and same.linear_correlation == pytest.approx(1.0)
    np.testing.assert_allclose(same.segment_gradient_norms, 1.0, atol=1e-6)
    assert same.w1_share == pytest.approx(1.0, abs=1e-6)
    linear = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[-1.0, -1.0]]) / np.sqrt(2))  # points towards real, slope 1
        linear.bias.zero_()
    partial = agreement(linear, critic, held_out)
    assert 0.5 < partial.w1_share <= 1.0 + 1e-9 and partial.rank_correlation > 0.5
