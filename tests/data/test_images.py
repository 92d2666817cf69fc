"""The image data sets of images.py: the IMAGE_DATASETS table, the folder layouts, digits, resize and pad, options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.data.conftest import MNIST_IMAGES, MNIST_LABELS, expect_user_error, unit, write_idx
from wganlab.data.images import IMAGE_DATASETS, ImageData, load_images


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


def test_uint8_batches_are_converted_exactly_as_a_whole_float_copy_would_be(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    data = load_images("mnist", tmp_path)
    assert data.pixels.dtype == torch.uint8 and data.pixels.element_size() == 1  # stored at a byte a value
    batch = data.sample(20, torch.Generator().manual_seed(5))
    rows = torch.randint(3, (20,), generator=torch.Generator().manual_seed(5))
    assert torch.equal(batch, unit(MNIST_IMAGES)[rows].unsqueeze(1))  # bitwise: the same arithmetic per batch
    assert torch.equal(torch.cat(list(data.chunks(2))), data.images)


def test_flip_mirrors_about_half_of_the_batch_reproducibly() -> None:
    images = torch.arange(6.0).reshape(1, 1, 2, 3).expand(4, 1, 2, 3).contiguous() / 5  # rows all alike
    plain = ImageData("t", "memory", images, None)
    flipping = ImageData("t", "memory", images, None, flip=True)
    first = flipping.sample(400, torch.Generator().manual_seed(1))
    assert torch.equal(first, flipping.sample(400, torch.Generator().manual_seed(1)))
    mirrored = (first == images[0].flip(-1)).flatten(1).all(1)
    assert ((first == images[0]).flatten(1).all(1) | mirrored).all()
    assert 150 < int(mirrored.sum()) < 250
    assert torch.equal(plain.sample(400, torch.Generator().manual_seed(1)), images[:1].expand(400, 1, 2, 3))


def test_fingerprint_follows_the_pixels_and_first_copies() -> None:
    pixels = torch.randint(0, 256, (10, 3, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    data = ImageData("t", "memory", pixels, torch.arange(10))
    assert data.fingerprint() == ImageData("u", "elsewhere", pixels.clone(), None).fingerprint()
    changed = pixels.clone()
    changed[7, 1, 2, 3] ^= 1
    assert ImageData("t", "memory", changed, None).fingerprint() != data.fingerprint()
    assert ImageData("t", "memory", pixels, None, key="known").fingerprint() == "known"
    head = data.first(4)
    assert len(head) == 4 and head.labels.tolist() == [0, 1, 2, 3] and head.pixels.data_ptr() != pixels.data_ptr()


def test_a_folder_loads_through_the_cache_and_trains_from_the_memory_map(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(5):
        Image.fromarray(rng.integers(0, 256, (20, 12, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
    data = load_images("folder", tmp_path, crop=True, resize=8, resize_filter="lanczos")
    assert data.shape == (3, 8, 8) and data.pixels.dtype == torch.uint8 and data.key
    again = load_images("folder", tmp_path, crop=True, resize=8, resize_filter="lanczos")
    assert again.key == data.key and torch.equal(again.images, data.images)
    batch = data.sample(7, torch.Generator().manual_seed(0))
    assert batch.dtype == torch.float32 and batch.min() >= -1 and batch.max() <= 1


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_a_photos_exif_orientation_is_applied(tmp_path: Path, suffix: str) -> None:
    """A camera stores a portrait shot on its side with EXIF orientation 6 (turn a quarter clockwise to view): it
    must come out as a viewer shows it, and it passes the size check beside an upright image of the same size."""
    from PIL import Image

    stored = np.zeros((8, 16), dtype=np.uint8)
    stored[:, 8:] = 255  # 16 wide, 8 tall: dark on the left, bright on the right
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / f"portrait.{suffix}", exif=exif, quality=100)
    upright = np.zeros((16, 8), dtype=np.uint8)
    upright[8:] = 255  # turned clockwise, the left side is on top: dark above, bright below
    Image.fromarray(upright).save(tmp_path / f"upright.{suffix}", quality=100)
    data = load_images("folder", tmp_path, cache=False)
    assert data.shape == (1, 16, 8)
    torch.testing.assert_close(data.images[0], data.images[1], rtol=0, atol=0.05)
    assert data.images[0, 0, :8].max() < -0.9 and data.images[0, 0, 8:].min() > 0.9
