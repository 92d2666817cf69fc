"""transforms.py: centre crop, resize with a named filter, pad; on 8-bit and on float images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from wganlab.data.transforms import FILTERS, Transform, transform_float, transform_uint8
from wganlab.errors import ConfigError, UserError


def test_pad_puts_the_odd_pixel_last() -> None:
    images = torch.ones(1, 1, 2, 3)  # [N, C, H=2, W=3]
    padded = transform_float(images, Transform(pad_to=5), "memory")
    expected = torch.full((1, 1, 5, 5), -1.0)
    expected[:, :, 1:3, 1:4] = 1.0  # top 1, bottom 2; left 1, right 1
    assert_close(padded, expected, rtol=0, atol=0)
    pixels = np.full((1, 3, 2, 3), 200, dtype=np.uint8)
    padded8 = transform_uint8(pixels, Transform(pad_to=5), "memory")
    assert padded8.dtype == np.uint8 and (padded8[:, :, 1:3, 1:4] == 200).all() and padded8.sum() == 200 * 3 * 6
    with pytest.raises(UserError, match="cannot pad 3x2 images from memory to 2x2"):
        transform_float(images, Transform(pad_to=2), "memory")


@pytest.mark.parametrize("name", list(FILTERS))
def test_every_filter_keeps_a_constant_image_constant(name: str) -> None:
    pixels = np.full((2, 3, 12, 12), 77, dtype=np.uint8)
    resized = transform_uint8(pixels, Transform(resize=5, resize_filter=name), "memory")
    assert resized.shape == (2, 3, 5, 5) and (resized == 77).all()
    floats = torch.full((1, 1, 12, 12), 0.25)
    assert_close(transform_float(floats, Transform(resize=7, resize_filter=name), "memory"),
                 torch.full((1, 1, 7, 7), 0.25), rtol=0, atol=1e-6)


def test_shrinking_2x2_to_1x1_averages_under_box_and_bilinear() -> None:
    square = torch.tensor([[[[-1.0, 1.0], [0.5, 0.5]]]])
    for name in ("box", "bilinear"):
        assert_close(transform_float(square, Transform(resize=1, resize_filter=name), "m"),
                     torch.full((1, 1, 1, 1), 0.25), rtol=0, atol=1e-6)
    assert transform_float(square, Transform(), "m") is square  # nothing to do: the same tensor


def test_filters_differ_where_they_should() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (1, 1, 32, 32), dtype=np.uint8)
    results = {name: transform_uint8(pixels, Transform(resize=8, resize_filter=name), "m") for name in FILTERS}
    assert len({r.tobytes() for r in results.values()}) == len(FILTERS)  # each filter is really used
    # the nearest filter picks pixels; the others average, so they spread less than the picked pixels do
    assert set(np.unique(results["nearest"])) <= set(np.unique(pixels))
    assert results["box"].std() < results["nearest"].std()


def test_crop_takes_the_centre_square_then_resizes() -> None:
    pixels = np.zeros((1, 3, 4, 7), dtype=np.uint8)  # H=4, W=7: the square is columns 1..4
    pixels[:, :, :, 1:5] = 100
    cropped = transform_uint8(pixels, Transform(crop=True), "memory")
    assert cropped.shape == (1, 3, 4, 4) and (cropped == 100).all()
    tall = np.arange(6 * 2, dtype=np.uint8).reshape(1, 1, 6, 2)  # H=6, W=2: rows 2..3
    assert transform_uint8(tall, Transform(crop=True), "m")[0, 0].tolist() == [[4, 5], [6, 7]]
    # CelebA's convention: 218x178 -> the centred 178x178 -> 64x64
    celeba = Transform(crop=True, resize=64)
    assert celeba.output_size(178, 218, "m") == (64, 64)
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (218, 178, 3), dtype=np.uint8))
    expected = np.asarray(image.crop((0, 20, 178, 198)).resize((64, 64), Image.Resampling.BILINEAR))
    assert np.array_equal(np.asarray(celeba.crop_and_resize(image)), expected)


def test_bad_options_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="data.resize_filter") as info:
        Transform(resize=8, resize_filter="cubic")
    assert "bicubic" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(UserError, match="resize=-1, pad_to=0"):
        Transform(resize=-1)


def test_describe_names_the_filter() -> None:
    assert Transform().describe() == "as stored"
    described = Transform(crop=True, resize=64, resize_filter="bicubic", pad_to=66).describe()
    assert described == "centre crop to a square, resize to 64x64 (bicubic), pad to 66x66"
