"""What an evaluation draws into a run's figures/: the toy figure (critic contours with real and generated points)
and a grid of generated images."""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from wganlab.data.image_formats import unit_to_uint8
from wganlab.diagnostics.surface import critic_surface
from wganlab.files import write_bytes_atomic
from wganlab.plotting import pyplot as plt


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


def save_grid(path: str | Path, images: Tensor, columns: int = 0, min_cell: int = 32) -> None:
    """Tile [N, C, H, W] images in [-1, 1] (C = 1 or 3) in a PNG grid, written atomically; small images are
    enlarged to at least `min_cell` pixels."""
    from PIL import Image

    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"save_grid takes images [N, C, H, W] with C = 1 or 3, not a tensor of shape "
                         f"{tuple(images.shape)}")
    count, channels, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    scale = max(1, math.ceil(min_cell / max(height, width)))
    pixels = unit_to_uint8(images).numpy()  # [N, C, H, W]
    pixels = pixels.repeat(scale, axis=2).repeat(scale, axis=3)
    cell_h, cell_w, pad = height * scale, width * scale, 2
    canvas = np.full((channels, rows * (cell_h + pad) + pad, columns * (cell_w + pad) + pad), 255, np.uint8)
    for index in range(count):
        r, c = divmod(index, columns)
        top, left = pad + r * (cell_h + pad), pad + c * (cell_w + pad)
        canvas[:, top : top + cell_h, left : left + cell_w] = pixels[index]
    mode = "L" if channels == 1 else "RGB"
    picture = Image.fromarray(canvas[0] if channels == 1 else canvas.transpose(1, 2, 0), mode)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    write_bytes_atomic(Path(path), buffer.getvalue())
