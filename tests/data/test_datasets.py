"""A run's data by data.name: toy or image, data.limit, stacking, the held-out split, shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.data.conftest import MNIST_IMAGES, MNIST_LABELS, write_idx
from wganlab import config as configuration
from wganlab.config import DataConfig
from wganlab.data.datasets import DATASETS, build_dataset, data_shape, expected_shape, held_out_dataset, is_image
from wganlab.data.images import IMAGE_DATASETS, ImageData, load_images
from wganlab.data.stacked import StackedImages
from wganlab.data.toy import TOY_DATASETS, ToyDistribution
from wganlab.errors import ConfigError, UserError


def test_the_table_holds_every_toy_and_image_data_set_once() -> None:
    assert list(DATASETS) == [*TOY_DATASETS, *IMAGE_DATASETS]
    assert not set(TOY_DATASETS) & set(IMAGE_DATASETS)


def test_is_image() -> None:
    assert [is_image(name) for name in ("grid", "parallel-lines", "digits", "npz", "folder")] == [
        False, False, True, True, True,
    ]
    with pytest.raises(ConfigError, match="unknown data.name 'digts'; did you mean 'digits'"):
        is_image("digts")


def test_toy_data_is_the_named_distribution() -> None:
    toy = build_dataset(DataConfig(name="parallel-lines", theta=0.7), seed=0)
    assert isinstance(toy, ToyDistribution) and toy.name == "parallel-lines"
    points = toy.sample(50, torch.Generator().manual_seed(0))
    torch.testing.assert_close(points[:, 0], torch.full((50,), 0.7), rtol=0, atol=0)  # theta reaches the toy
    assert data_shape(toy) == (2,)


def test_digits_are_the_training_split() -> None:
    digits = build_dataset(DataConfig(name="digits"), seed=0)
    assert isinstance(digits, ImageData) and len(digits.images) == 1437
    assert torch.equal(digits.images, load_images("digits").images)
    assert data_shape(digits) == (1, 8, 8)


def test_limit_keeps_the_first_images_and_their_labels() -> None:
    limited = build_dataset(DataConfig(name="digits", limit=10), seed=0)
    full = load_images("digits")
    assert isinstance(limited, ImageData) and limited.name == "digits" and limited.source == full.source
    assert torch.equal(limited.images, full.images[:10]) and torch.equal(limited.labels, full.labels[:10])
    assert limited.images.untyped_storage().nbytes() == 10 * 64 * 4  # a copy, not a view of all 1,437


def test_limit_beyond_the_data_is_a_one_line_error() -> None:
    with pytest.raises(UserError) as info:
        build_dataset(DataConfig(name="digits", limit=1438), seed=0)
    assert str(info.value) == "data.limit 1438 is more than the 1437 images of scikit-learn digits"


def test_stacking_wraps_the_limited_images() -> None:
    stacked = build_dataset(DataConfig(name="digits", stack=3, limit=4), seed=0)
    assert isinstance(stacked, StackedImages) and stacked.copies == 3
    assert torch.equal(stacked.base.images, load_images("digits").images[:4])
    assert data_shape(stacked) == (3, 8, 8)


def test_held_out_toy_is_the_distribution_itself() -> None:
    config = DataConfig(name="grid")
    toy = build_dataset(config, seed=0)
    assert held_out_dataset(config, toy) is toy


def test_held_out_digits_are_the_whole_test_split() -> None:
    config = DataConfig(name="digits", limit=10)
    held_out = held_out_dataset(config, build_dataset(config, seed=0))
    assert isinstance(held_out, ImageData) and len(held_out.images) == 360  # data.limit is for training only
    assert torch.equal(held_out.images, load_images("digits", split="test").images)
    stacked = DataConfig(name="digits", stack=3)
    held_out_stacked = held_out_dataset(stacked, build_dataset(stacked, seed=0))
    assert isinstance(held_out_stacked, StackedImages) and len(held_out_stacked.base.images) == 360


def test_no_held_out_data_when_training_on_the_test_split() -> None:
    config = DataConfig(name="digits", split="test")
    assert held_out_dataset(config, build_dataset(config, seed=0)) is None


def test_npz_and_folder_have_no_held_out_split(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((3, 4, 4), dtype=np.uint8))
    npz = DataConfig(name="npz", root=str(tmp_path / "x.npy"))
    assert held_out_dataset(npz, build_dataset(npz, seed=0)) is None
    folder = DataConfig(name="folder", root=str(tmp_path / "no-such-folder"))  # never read for a held-out split
    assert held_out_dataset(folder, build_dataset(npz, seed=0)) is None


def test_missing_test_files_give_no_held_out_data(tmp_path: Path, capsys) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)  # no t10k-* files
    config = DataConfig(name="mnist", root=str(tmp_path))
    train = build_dataset(config, seed=0)
    assert isinstance(train, ImageData) and len(train.images) == 3
    assert held_out_dataset(config, train) is None
    assert "no held-out data, so no held-out gap: expected t10k-images-idx3-ubyte" in capsys.readouterr().err
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03 damaged")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01")
    assert held_out_dataset(config, train) is None
    assert "is truncated" in capsys.readouterr().err  # a damaged test split is said, not swallowed
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).unlink()
    write_idx(tmp_path, "t10k", MNIST_IMAGES[:2], MNIST_LABELS[:2])
    held_out = held_out_dataset(config, train)
    assert isinstance(held_out, ImageData) and held_out.labels.tolist() == [7, 0]


def test_resize_and_pad_reach_the_images(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    data = build_dataset(DataConfig(name="mnist", root=str(tmp_path), resize=8, pad_to=12), seed=0)
    assert data_shape(data) == (1, 12, 12)


def test_crop_filter_and_flip_reach_the_images(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (6, 10, 16, 3), dtype=np.uint8)  # [N, H, W, C]
    np.save(tmp_path / "wide.npy", pixels)
    config = DataConfig(name="npz", root=str(tmp_path / "wide.npy"), crop=True, resize=5, resize_filter="box",
                        flip=True)
    data = build_dataset(config, seed=0)
    assert isinstance(data, ImageData) and data.flip and data_shape(data) == (3, 5, 5)
    plain = load_images("npz", tmp_path / "wide.npy", crop=True, resize=5, resize_filter="box")
    assert torch.equal(data.pixels, plain.pixels) and not plain.flip
    bicubic = load_images("npz", tmp_path / "wide.npy", crop=True, resize=5, resize_filter="bicubic")
    assert not torch.equal(bicubic.pixels, plain.pixels)


@pytest.mark.parametrize(
    ("values", "shape"),
    [
        ({"data.name": "grid"}, (2,)),
        ({"data.name": "mnist"}, (1, 28, 28)),
        ({"data.name": "mnist", "data.pad_to": 32}, (1, 32, 32)),
        ({"data.name": "cifar10", "data.resize": 64}, (3, 64, 64)),
        ({"data.name": "digits", "data.stack": 3}, (3, 8, 8)),
        ({"data.name": "folder", "data.root": "x"}, None),  # only the files say
    ],
)
def test_expected_shape_from_the_config_alone(values, shape):
    config = configuration.with_values(configuration.load(), values)
    assert expected_shape(config.data) == shape


def test_expected_shape_is_the_shape_loading_gives():
    config = configuration.with_values(configuration.load(), {"data.name": "digits", "data.pad_to": 12})
    assert expected_shape(config.data) == data_shape(build_dataset(config.data, 0)) == (1, 12, 12)
