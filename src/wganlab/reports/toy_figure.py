"""The per-evaluation toy figure: critic value contours with real and generated points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from wganlab.diagnostics.surface import critic_surface


def plot_toy(path: Path, critic: nn.Module, real: Tensor, fake: Tensor, title: str) -> None:
    """Save a PNG: filled contours of the critic's value, real points in black, generated in orange."""
    both = torch.cat([real, fake[torch.isfinite(fake).all(dim=1)]])
    low, high = both.quantile(0.005, dim=0), both.quantile(0.995, dim=0)
    pad = 0.15 * (high - low).clamp(min=0.5)
    xs, ys, values = critic_surface(critic, tuple((low - pad).tolist()), tuple((high + pad).tolist()))
    figure, axes = plt.subplots(figsize=(5.2, 4.6), dpi=100)
    try:
        contour = axes.contourf(xs.numpy(), ys.numpy(), values.numpy(), levels=30, cmap="viridis")
        figure.colorbar(contour, ax=axes, label="critic value")
        axes.scatter(real[:, 0], real[:, 1], s=2, c="black", alpha=0.5, label="real")
        axes.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:orange", alpha=0.5, label="generated")
        axes.set_xlim(float(xs[0]), float(xs[-1]))
        axes.set_ylim(float(ys[0]), float(ys[-1]))
        axes.set_aspect("equal")
        axes.legend(loc="upper right", fontsize=7, markerscale=4)
        axes.set_title("\n".join(textwrap.fill(line, 60) for line in title.splitlines()), fontsize=8)
        figure.tight_layout()
        figure.savefig(path)
    finally:
        plt.close(figure)
