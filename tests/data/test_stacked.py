"""Stacked data: independent grayscale rows as channels, each channel's label the label of its own row."""

from __future__ import annotations

import pytest
import torch

from wganlab.data.images import ImageData
from wganlab.data.stacked import StackedImages
from wganlab.errors import UserError

ROWS = 5


def base(labels: bool = True) -> ImageData:
    """Five 2x3 grayscale images, image k constant at k / 10, labelled 10 + k."""
    images = (torch.arange(ROWS, dtype=torch.float32) / 10).reshape(ROWS, 1, 1, 1).expand(ROWS, 1, 2, 3).contiguous()
    return ImageData("digits", "scikit-learn digits", images, torch.arange(ROWS) + 10 if labels else None)


def rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_names_and_shape() -> None:
    stacked = StackedImages(base())
    assert stacked.name == "stacked-digits" and stacked.source == "scikit-learn digits"
    assert stacked.shape == (3, 2, 3)
    assert StackedImages(base(), copies=2).shape == (2, 2, 3)


def test_each_channel_is_one_row_and_carries_its_label() -> None:
    images, labels = StackedImages(base()).sample_with_labels(400, rng(0))
    assert images.shape == (400, 3, 2, 3) and labels is not None and labels.shape == (400, 3)
    rows = (images[:, :, 0, 0] * 10).round().long()  # [400, 3]: which row filled each channel
    assert (images == (rows.float() / 10)[:, :, None, None]).all()  # every pixel of a channel from that one row
    assert torch.equal(labels, rows + 10)


def test_channels_are_independent_uniform_draws() -> None:
    _, labels = StackedImages(base()).sample_with_labels(3000, rng(1))
    assert labels is not None
    counts = torch.bincount((labels - 10).reshape(-1), minlength=ROWS).double()
    # 9,000 draws of 5 rows: 1,800 each, binomial sd 38; 5 sd either side
    torch.testing.assert_close(counts, torch.full((ROWS,), 1800.0, dtype=torch.float64), rtol=0, atol=190)
    same = (labels[:, 0] == labels[:, 1]) & (labels[:, 1] == labels[:, 2])
    # all three channels the same row: probability 1/25, 120 of 3,000 (sd 11)
    assert int(same.sum()) == pytest.approx(120, abs=55)


def test_sampling_is_reproducible_and_sample_drops_the_labels() -> None:
    stacked = StackedImages(base())
    first, first_labels = stacked.sample_with_labels(16, rng(3))
    second, second_labels = stacked.sample_with_labels(16, rng(3))
    assert torch.equal(first, second) and torch.equal(first_labels, second_labels)
    assert torch.equal(stacked.sample(16, rng(3)), first)
    assert not torch.equal(stacked.sample(16, rng(4)), first)


def test_unlabelled_base_gives_no_labels() -> None:
    images, labels = StackedImages(base(labels=False)).sample_with_labels(4, rng(0))
    assert images.shape == (4, 3, 2, 3) and labels is None


def test_colour_images_are_refused() -> None:
    colour = ImageData("cifar10", "folder", torch.zeros(2, 3, 4, 4), None)
    with pytest.raises(UserError) as info:
        StackedImages(colour)
    message = str(info.value)
    assert "\n" not in message
    assert message == "data.stack needs grayscale images, but cifar10 has 3 channels; set data.stack = 1"
