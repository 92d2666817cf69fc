"""Critic value surfaces on 2-D data (WGAN-GP Fig. 1a)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


@torch.no_grad()
def critic_surface(
    critic: nn.Module, lower: tuple[float, float], upper: tuple[float, float], resolution: int = 120
) -> tuple[Tensor, Tensor, Tensor]:
    """The critic's value on a `resolution` x `resolution` grid: (xs [R], ys [R], values [R, R], rows = y)."""
    xs = torch.linspace(lower[0], upper[0], resolution)
    ys = torch.linspace(lower[1], upper[1], resolution)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)  # [R*R, 2]
    device = next(critic.parameters()).device
    values = critic(points.to(device)).reshape(resolution, resolution).cpu()
    return xs, ys, values
