"""DiffAugment's transforms: differentiable, each what its formula says against draws taken from a cloned stream,
drawn per image and afresh per call, and exact under a sweep's streams and a distributed rank's rows."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from wganlab import sharding, stacking
from wganlab.data.augment import AUGMENTATIONS, CUTOUT, POLICY, TRANSLATION, composed, cutout, translation
from wganlab.sharding import Shard

F64 = torch.float64


def _rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _images(n: int = 4, channels: int = 3, height: int = 8, width: int = 8, seed: int = 1) -> Tensor:
    return torch.rand(n, channels, height, width, generator=_rng(seed), dtype=F64) * 2 - 1


@pytest.mark.parametrize("name", list(POLICY))
def test_each_transform_is_differentiable_in_float64(name: str) -> None:
    transform = POLICY[name].function
    images = _images(2, 3, 6, 5).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: transform(x, _rng(3)), (images,))


@pytest.mark.parametrize("name", list(POLICY))
def test_each_transform_is_determined_by_its_stream_and_draws_afresh_per_call(name: str) -> None:
    transform, images = POLICY[name].function, _images()
    assert torch.equal(transform(images, _rng(5)), transform(images, _rng(5)))
    rng = _rng(5)
    first, second = transform(images, rng), transform(images, rng)
    assert not torch.equal(first, second)  # the second call draws on from where the first left the stream


@pytest.mark.parametrize("name", list(POLICY))
def test_each_image_draws_its_own_values(name: str) -> None:
    """Sixteen copies of one image come out as many different images: no draw is shared across the batch."""
    copies = _images(1).expand(16, -1, -1, -1)
    out = POLICY[name].function(copies, _rng(2))
    distinct = {tuple(image.flatten().tolist()) for image in out}
    assert len(distinct) >= 8


def test_color_is_brightness_then_saturation_then_contrast_with_one_factor_per_image() -> None:
    images = _images()
    out = POLICY["color"].function(images, _rng(4))
    draws = torch.rand(3, 4, 1, 1, 1, generator=_rng(4), dtype=F64)  # three draws of [N, 1, 1, 1], in turn
    brightness, saturation, contrast = draws
    x = images + (brightness - 0.5)
    x = (x - x.mean(1, keepdim=True)) * (2 * saturation) + x.mean(1, keepdim=True)
    x = (x - x.mean((1, 2, 3), keepdim=True)) * (contrast + 0.5) + x.mean((1, 2, 3), keepdim=True)
    torch.testing.assert_close(out, x, rtol=0, atol=1e-12)


def _shifted(image: Tensor, dy: int, dx: int) -> Tensor:
    """`image` [C, H, W] moved down dy and right dx pixels, 0 where nothing moved in."""
    out = torch.zeros_like(image)
    height, width = image.shape[-2:]
    for row in range(height):
        for column in range(width):
            if 0 <= row - dy < height and 0 <= column - dx < width:
                out[:, row, column] = image[:, row - dy, column - dx]
    return out


def test_translation_moves_each_image_by_its_drawn_whole_pixel_shift_and_fills_with_zeros() -> None:
    images = _images(6, 2, 16, 8)
    out = translation(images, _rng(7))
    reach_y, reach_x = int(16 * TRANSLATION + 0.5), int(8 * TRANSLATION + 0.5)  # 2 and 1
    rng = _rng(7)
    dy = torch.randint(2 * reach_y + 1, (6,), generator=rng) - reach_y  # rows first, then columns
    dx = torch.randint(2 * reach_x + 1, (6,), generator=rng) - reach_x
    assert len(set(dy.tolist())) > 1 and len(set(dx.tolist())) > 1  # the test sees several shifts
    for image, moved, y, x in zip(images, out, dy.tolist(), dx.tolist(), strict=True):
        assert torch.equal(moved, _shifted(image, y, x))


@pytest.mark.parametrize(("height", "width"), [(12, 10), (7, 5), (2, 3), (1, 1)])
def test_cutout_zeroes_the_rectangle_of_half_the_sides_centred_where_drawn(height: int, width: int) -> None:
    images = _images(32, 3, height, width) + 3  # no pixel is 0 before
    out = cutout(images, _rng(8))
    cut_y, cut_x = int(height * CUTOUT + 0.5), int(width * CUTOUT + 0.5)
    rng = _rng(8)  # the centre's row, then its column, each anywhere in the image (one more place for an even side)
    top = torch.randint(height + 1 - cut_y % 2, (32,), generator=rng) - cut_y // 2
    left = torch.randint(width + 1 - cut_x % 2, (32,), generator=rng) - cut_x // 2
    clipped = 0
    for image, cut, y, x in zip(images, out, top.tolist(), left.tolist(), strict=True):
        expected = image.clone()
        expected[:, max(y, 0):max(y + cut_y, 0), max(x, 0):max(x + cut_x, 0)] = 0
        assert torch.equal(cut, expected)
        clipped += y < 0 or x < 0 or y + cut_y > height or x + cut_x > width
    assert height * width == 1 or 0 < clipped < 32  # some clipped by an edge, some wholly inside (1x1: all cut)


def test_the_transforms_keep_a_channels_last_batch_in_its_layout() -> None:
    images = _images(4, 3, 8, 8).contiguous(memory_format=torch.channels_last)
    for name in POLICY:
        out = POLICY[name].function(images, _rng(6))
        assert out.is_contiguous(memory_format=torch.channels_last), name
        # the same values (color's means may sum in another order)
        torch.testing.assert_close(out, POLICY[name].function(images.contiguous(), _rng(6)), rtol=0, atol=1e-15)


def test_a_policy_applies_its_transforms_in_the_order_it_names_them() -> None:
    images = _images()
    both = composed(["translation", "cutout"])(images, _rng(9))
    rng = _rng(9)
    assert torch.equal(both, cutout(translation(images, rng), rng))
    assert not torch.equal(both, composed(["cutout", "translation"])(images, _rng(9)))
    assert AUGMENTATIONS["none"].make(["color"]) is None


def test_a_sweep_member_draws_what_its_own_run_draws() -> None:
    """Under a sweep the images are [K, N, C, H, W] and member k draws from its own stream."""
    augment = composed(list(POLICY))
    images = torch.stack([_images(seed=1), _images(seed=2)])
    with stacking.stacked(2):
        together = augment(images, stacking.Streams([_rng(10), _rng(11)]))
    for member, seed in enumerate((10, 11)):
        assert torch.equal(together[member], augment(images[member], _rng(seed)))


def test_a_rank_augments_its_rows_as_one_process_does() -> None:
    augment, images = composed(list(POLICY)), _images(8)
    whole = augment(images, _rng(12))
    for rank in (0, 1):
        with sharding.sharded(Shard(rank, 2)):
            part = augment(images[rank * 4:(rank + 1) * 4], _rng(12))
        assert torch.equal(part, whole[rank * 4:(rank + 1) * 4])
