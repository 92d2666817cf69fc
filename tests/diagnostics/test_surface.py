"""Critic value surfaces: a linear critic's surface is w . (x, y) + b on the grid, one row per y."""

from __future__ import annotations

import torch
from torch import nn

from wganlab.diagnostics.surface import critic_surface


def test_linear_critic_surface_is_w_dot_x_with_rows_as_y():
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[2.0, -3.0]]))
        critic.bias.fill_(0.5)
    xs, ys, values = critic_surface(critic, (-1.0, 0.0), (1.0, 4.0), resolution=5)
    torch.testing.assert_close(xs, torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0]))
    torch.testing.assert_close(ys, torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0]))
    expected = 2.0 * xs[None, :] - 3.0 * ys[:, None] + 0.5  # [R, R]: row i is y = ys[i], column j is x = xs[j]
    torch.testing.assert_close(values, expected, rtol=0, atol=1e-6)
    assert values[0, 4] == 2.5 and values[4, 0] == -13.5  # (x=1, y=0) and (x=-1, y=4)


def test_non_square_ranges_and_no_gradients():
    critic = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    xs, ys, values = critic_surface(critic, (0.0, -2.0), (3.0, 2.0), resolution=7)
    assert values.shape == (7, 7) and not values.requires_grad
    points = torch.tensor([[float(xs[5]), float(ys[1])]])
    torch.testing.assert_close(values[1, 5], critic(points).detach()[0, 0])
