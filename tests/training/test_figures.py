"""Figures: the toy figure survives non-finite samples; the image grid's size and pixel values are exact."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from wganlab.training.figures import plot_toy, save_grid

PNG = b"\x89PNG\r\n\x1a\n"
PAD = 2


def _critic() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))


@pytest.mark.parametrize("broken", [3, 40])
def test_plot_toy_writes_a_png_with_non_finite_fake_points(tmp_path: Path, broken: int) -> None:
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(40, 2, generator=generator)
    fake = torch.randn(40, 2, generator=generator)
    fake[:broken:3, 0] = math.nan
    fake[1:broken:3, 1] = math.inf
    fake[2:broken:3] = -math.inf
    path = tmp_path / "toy.png"
    plot_toy(path, _critic(), real, fake, "a title\nwith two lines")
    assert path.read_bytes()[:8] == PNG
    with Image.open(path) as picture:
        assert picture.size == (520, 460)  # figsize (5.2, 4.6) at 100 dpi


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture)


@pytest.mark.parametrize("channels", [1, 3])
def test_save_grid_tiles_images_into_the_expected_size(tmp_path: Path, channels: int) -> None:
    # 5 images of 8x8: 3 columns (ceil sqrt 5), 2 rows, each cell enlarged 4x to 32 pixels, 2-pixel gaps
    images = torch.rand(5, channels, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    path = tmp_path / "grid.png"
    save_grid(path, images)
    pixels = _read(path)
    height, width = 2 * (32 + PAD) + PAD, 3 * (32 + PAD) + PAD
    assert pixels.shape == ((height, width) if channels == 1 else (height, width, 3))
    expected = np.round((images.double().numpy() + 1) * 127.5).astype(np.uint8)  # [5, C, 8, 8]
    expected = expected.repeat(4, axis=2).repeat(4, axis=3)
    canvas = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)  # [C, H, W]
    for index in range(5):
        row, column = divmod(index, 3)
        top, left = PAD + row * (32 + PAD), PAD + column * (32 + PAD)
        np.testing.assert_array_equal(canvas[:, top : top + 32, left : left + 32], expected[index])
    # the sixth cell is empty and the gaps are white
    assert (canvas[:, PAD + 34 :, PAD + 2 * 34 :] == 255).all()
    assert (canvas[:, :PAD] == 255).all() and (canvas[:, :, 34 : 34 + PAD] == 255).all()


def test_save_grid_maps_minus_one_to_one_onto_0_to_255(tmp_path: Path) -> None:
    values = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 1 / 127.5 - 1])
    images = values.reshape(8, 1, 1, 1).expand(8, 1, 32, 32)  # 32x32: no enlargement
    path = tmp_path / "values.png"
    save_grid(path, images, columns=8)
    pixels = _read(path)
    assert pixels.shape == (32 + 2 * PAD, 8 * (32 + PAD) + PAD)
    centres = [int(pixels[PAD + 16, PAD + k * (32 + PAD) + 16]) for k in range(8)]
    # clamped to [-1, 1], then (x + 1) * 127.5 rounded: 63.75 -> 64, 127.5 -> 128, 191.25 -> 191
    assert centres == [0, 0, 64, 128, 191, 255, 255, 1]


def test_save_grid_keeps_large_images_at_their_size(tmp_path: Path) -> None:
    images = torch.zeros(2, 3, 40, 36)
    path = tmp_path / "large.png"
    save_grid(path, images, columns=1)
    assert _read(path).shape == (2 * (40 + PAD) + PAD, 36 + 2 * PAD, 3)
