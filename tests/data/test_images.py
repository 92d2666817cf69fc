"""The image data sets of images.py: the IMAGE_DATASETS table, the folder layouts, digits, resize and pad, options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.data.conftest import MNIST_IMAGES, MNIST_LABELS, expect_user_error, unit, write_idx
from wganlab.data.images import IMAGE_DATASETS, ImageData, load_images, pad_images, resize_images
from wganlab.errors import UserError


def test_registry_names() -> None:
    assert set(IMAGE_DATASETS) == {"digits", "mnist", "fashion-mnist", "cifar10", "folder", "npz"}
    assert all(d and "\n" not in d for d in IMAGE_DATASETS.descriptions().values())


@pytest.mark.parametrize(
    "name,layout", [("mnist", "raw"), ("mnist", "MNIST/raw"), ("fashion-mnist", "FashionMNIST/raw")]
)
def test_idx_nested_layouts(tmp_path: Path, name: str, layout: str) -> None:
    write_idx(tmp_path / layout, "train", MNIST_IMAGES, MNIST_LABELS, gz=True)
    data = load_images(name, tmp_path)
    assert_close(data.images[:, 0], unit(MNIST_IMAGES), rtol=0, atol=1e-6)
    assert data.labels is not None and data.labels.tolist() == [7, 0, 9]


def test_digits_shape_range_and_fixed_split() -> None:
    train, test = load_images("digits"), load_images("digits", split="test")
    assert train.shape == (1, 8, 8) and len(train.images) == 1437 and len(test.images) == 360
    assert train.images.min() == -1.0 and train.images.max() == 1.0 and train.source == "scikit-learn digits"
    assert train.labels is not None and test.labels is not None
    assert set(train.labels.tolist()) == set(range(10)) and set(test.labels.tolist()) == set(range(10))
    again = load_images("digits")
    assert torch.equal(again.images, train.images) and torch.equal(again.labels, train.labels)

    from sklearn.datasets import load_digits

    raw = load_digits()
    order = torch.randperm(1797, generator=torch.Generator().manual_seed(0))
    assert_close(test.images[:, 0], torch.from_numpy(raw.images[order[1437:].numpy()]).float() / 8 - 1)
    assert sorted(order[:1437].tolist() + order[1437:].tolist()) == list(range(1797))  # disjoint, complete


def test_resize_and_pad(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    padded = load_images("mnist", tmp_path, pad_to=32)
    assert padded.shape == (1, 32, 32)
    assert_close(padded.images[:, 0, 2:30, 2:30], unit(MNIST_IMAGES))
    assert (padded.images[:, :, :2] == -1).all() and (padded.images[:, :, :, 30:] == -1).all()
    resized = load_images("mnist", tmp_path, resize=14, pad_to=15)
    assert resized.shape == (1, 15, 15) and resized.images.abs().max() <= 1.0
    assert (resized.images[:, :, 14] == -1).all() and (resized.images[:, :, :, 14] == -1).all()
    expect_user_error("pad_to", "mnist", tmp_path, pad_to=20)
    constant = np.full((1, 6, 6), 77, dtype=np.uint8)
    np.save(tmp_path / "c.npy", constant)
    assert_close(
        load_images("npz", tmp_path / "c.npy", resize=3).images, torch.full((1, 1, 3, 3), 77 / 255 * 2 - 1)
    )


def test_unknown_name_and_split(tmp_path: Path) -> None:
    message = expect_user_error("cifar10", "imagenet", tmp_path)
    assert "'imagenet'" in message
    message = expect_user_error("'val'", "mnist", tmp_path, split="val")
    assert str(tmp_path) in message


def test_sample_shape_and_reproducibility() -> None:
    images = torch.arange(5.0).reshape(5, 1, 1, 1).expand(5, 1, 2, 2).contiguous() / 4
    data = ImageData("t", "memory", images, None)
    first = data.sample(64, torch.Generator().manual_seed(3))
    second = data.sample(64, torch.Generator().manual_seed(3))
    assert first.shape == (64, 1, 2, 2) and torch.equal(first, second)
    assert set(first[:, 0, 0, 0].tolist()) == {0.0, 0.25, 0.5, 0.75, 1.0}


def test_pad_images_puts_the_odd_pixel_last() -> None:
    images = torch.ones(1, 1, 2, 3)  # [N, C, H=2, W=3]
    padded = pad_images(images, 5, "memory")
    expected = torch.full((1, 1, 5, 5), -1.0)
    expected[:, :, 1:3, 1:4] = 1.0  # top 1, bottom 2; left 1, right 1
    assert_close(padded, expected, rtol=0, atol=0)
    with pytest.raises(UserError, match="cannot pad 3x2 images from memory to 2x2"):
        pad_images(images, 2, "memory")


def test_resize_images_closed_forms() -> None:
    constant = torch.full((2, 3, 6, 6), 0.25)
    assert_close(resize_images(constant, 4), torch.full((2, 3, 4, 4), 0.25), rtol=0, atol=1e-6)
    assert resize_images(constant, 6) is constant
    # 2x2 -> 1x1: the antialiased bilinear filter weighs the four pixels equally, so the result is their mean
    square = torch.tensor([[[[-1.0, 1.0], [0.5, 0.5]]]])
    assert_close(resize_images(square, 1), torch.full((1, 1, 1, 1), 0.25), rtol=0, atol=1e-6)


def test_options_that_a_user_must_fix(tmp_path: Path) -> None:
    message = expect_user_error("give the folder", "mnist")  # no root for a data set read from files
    assert "mnist" in message
    expect_user_error("resize=-1", "digits", resize=-1)
    expect_user_error("pad_to=-2", "digits", pad_to=-2)
    expect_user_error("choose one of 'train'", "npz", tmp_path / "x.npz", split="test")  # one split only
    assert load_images("digits", tmp_path / "ignored").source == "scikit-learn digits"  # digits needs no root


def test_a_root_with_a_tilde_is_the_users_home(tmp_path, monkeypatch):
    # `--set data.root=~/data` reaches wganlab unexpanded: the shell expands ~ only at the start of a word
    monkeypatch.setenv("HOME", str(tmp_path))
    arrays = tmp_path / "data" / "images.npy"
    arrays.parent.mkdir()
    np.save(arrays, np.zeros((2, 4, 4), dtype=np.uint8))
    assert load_images("npz", "~/data/images.npy").images.shape == (2, 1, 4, 4)
