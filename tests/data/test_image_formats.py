"""The readers of image_formats.py against small hand-made files: exact pixels, labels, layouts, one-line errors.
Most go through `load_images`, the way a run reads its data; the rest call a reader directly."""

from __future__ import annotations

import gzip
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from tests.data.conftest import (
    MNIST_IMAGES,
    MNIST_LABELS,
    expect_user_error,
    idx_bytes,
    unit,
    write_cifar,
    write_idx,
)
from tests.hostile import ActsIfUnpickled
from wganlab.data import image_formats as formats
from wganlab.data.images import load_images
from wganlab.errors import UserError


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("split,prefix", [("train", "train"), ("test", "t10k")])
def test_mnist_flat_root(tmp_path: Path, gz: bool, split: str, prefix: str) -> None:
    write_idx(tmp_path, prefix, MNIST_IMAGES, MNIST_LABELS, gz=gz)
    data = load_images("mnist", tmp_path, split=split)
    assert data.shape == (1, 28, 28) and data.images.dtype == torch.float32
    assert_close(data.images, unit(MNIST_IMAGES)[:, None], rtol=0, atol=1e-6)
    assert data.labels is not None and data.labels.dtype == torch.int64
    assert data.labels.tolist() == [7, 0, 9]
    assert data.name == "mnist" and data.source == str(tmp_path)


def test_idx_gzip_detected_by_magic(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(path.read_bytes()))  # gzipped content without the .gz name
    assert_close(load_images("mnist", tmp_path).images[:, 0], unit(MNIST_IMAGES), rtol=0, atol=1e-6)


def test_idx_missing_file(tmp_path: Path) -> None:
    message = expect_user_error("t10k-images-idx3-ubyte.gz", "mnist", tmp_path, split="test")
    assert str(tmp_path) in message and "not downloaded" in message


def test_idx_wrong_magic(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(MNIST_IMAGES, magic=0x0803 + 0x100))
    message = expect_user_error("magic", "mnist", tmp_path)
    assert str(tmp_path / "train-images-idx3-ubyte") in message


def test_idx_truncated(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    message = expect_user_error("truncated", "mnist", tmp_path)
    assert str(path) in message


def test_idx_count_mismatch(tmp_path: Path) -> None:
    write_idx(tmp_path, "train", MNIST_IMAGES, MNIST_LABELS[:2])
    message = expect_user_error("3 images", "mnist", tmp_path)
    assert str(tmp_path / "train-labels-idx1-ubyte") in message


def test_cifar_plane_layout_and_batches(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    image = np.zeros((3, 32, 32), dtype=np.uint8)
    image[0, 0, 1] = 255  # red at row 0, column 1
    image[1, 2, 0] = 255  # green at row 2, column 0
    image[2, 31, 31] = 51  # a little blue in the corner
    for i in range(1, 6):
        rows = np.stack([image.reshape(-1), np.full(3072, i, dtype=np.uint8)])  # 2 rows per batch
        write_cifar(folder, f"data_batch_{i}", rows, [i, 9 - i])
    write_cifar(folder, "test_batch", np.full((1, 3072), 255), [3])
    train = load_images("cifar10", tmp_path)
    assert train.shape == (3, 32, 32) and len(train.images) == 10 and train.source == str(folder)
    assert train.labels is not None and train.labels.tolist() == [1, 8, 2, 7, 3, 6, 4, 5, 5, 4]
    first = train.images[0]
    assert (
        first[0, 0, 1] == 1.0
        and first[1, 2, 0] == 1.0
        and first[2, 31, 31] == pytest.approx(51 / 255 * 2 - 1)
    )
    assert (first > -1).sum() == 3
    assert_close(train.images[9], torch.full((3, 32, 32), 5 / 255 * 2 - 1))
    test = load_images("cifar10", folder, split="test")  # the batch folder itself works as root
    assert len(test.images) == 1 and (test.images == 1.0).all() and test.labels.tolist() == [3]


def test_cifar_missing_batch_and_bad_shape(tmp_path: Path) -> None:
    expect_user_error("test_batch", "cifar10", tmp_path, split="test")
    write_cifar(tmp_path, "test_batch", np.zeros((2, 100)), [0, 1])
    expect_user_error(str(tmp_path / "test_batch"), "cifar10", tmp_path, split="test")
    write_cifar(tmp_path, "test_batch", np.zeros((2, 3072)), [0])
    expect_user_error(str(tmp_path / "test_batch"), "cifar10", tmp_path, split="test")


def test_folder_png_exact_and_class_labels(tmp_path: Path) -> None:
    cat = np.array([[0, 255], [128, 64]], dtype=np.uint8)
    dog = np.array([[10, 20], [30, 40]], dtype=np.uint8)
    (tmp_path / "cat").mkdir()
    (tmp_path / "dog").mkdir()
    Image.fromarray(dog).save(tmp_path / "dog" / "a.PNG")
    Image.fromarray(cat).save(tmp_path / "cat" / "b.png")
    data = load_images("folder", tmp_path)
    assert data.shape == (1, 2, 2) and data.source == str(tmp_path)
    assert_close(data.images[:, 0], torch.stack([unit(cat), unit(dog)]), rtol=0, atol=1e-6)
    assert data.labels is not None and data.labels.tolist() == [0, 1]


def test_folder_mixed_rgb_and_jpeg(tmp_path: Path) -> None:
    red = np.zeros((8, 8, 3), dtype=np.uint8)
    red[..., 0] = 255
    Image.fromarray(red).save(tmp_path / "a.png")
    Image.fromarray(np.full((8, 8), 128, dtype=np.uint8)).save(tmp_path / "b.jpg", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    data = load_images("folder", tmp_path)
    assert data.shape == (3, 8, 8) and data.labels is None
    assert_close(data.images[0], unit(red.transpose(2, 0, 1)), rtol=0, atol=1e-6)
    assert_close(data.images[1], torch.full((3, 8, 8), 128 / 255 * 2 - 1), rtol=0, atol=0.05)


def test_folder_sizes_and_errors(tmp_path: Path) -> None:
    expect_user_error(str(tmp_path), "folder", tmp_path)  # empty folder
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((6, 2), 255, dtype=np.uint8)).save(tmp_path / "b.png")
    message = expect_user_error("2x6", "folder", tmp_path)
    assert str(tmp_path / "a.png") in message and str(tmp_path / "b.png") in message
    data = load_images("folder", tmp_path, resize=4)
    assert data.shape == (1, 4, 4)
    assert (data.images[0] == -1).all() and (data.images[1] == 1).all()
    expect_user_error(str(tmp_path), "folder", tmp_path, split="test")
    (tmp_path / "c.png").write_bytes(b"not a png")
    expect_user_error(str(tmp_path / "c.png"), "folder", tmp_path, resize=4)


@pytest.mark.parametrize(
    "array,layout",
    [
        (np.arange(2 * 3 * 4).reshape(2, 3, 4), "nhw"),
        (np.arange(2 * 3 * 4 * 3).reshape(2, 3, 4, 3), "nhwc"),
        (np.arange(2 * 3 * 5 * 4).reshape(2, 3, 5, 4), "nchw"),
        (np.arange(2 * 3 * 4 * 1).reshape(2, 3, 4, 1), "nhwc"),
    ],
)
def test_npy_layouts(tmp_path: Path, array: np.ndarray, layout: str) -> None:
    pixels = array.astype(np.uint8)
    np.save(tmp_path / "x.npy", pixels)
    expected = {"nhw": lambda a: a[:, None], "nhwc": lambda a: a.transpose(0, 3, 1, 2), "nchw": lambda a: a}
    data = load_images("npz", tmp_path / "x.npy")
    assert_close(data.images, unit(expected[layout](pixels)), rtol=0, atol=1e-6)
    assert data.labels is None and data.source == str(tmp_path / "x.npy")


def test_npz_names_and_float_ranges(tmp_path: Path) -> None:
    unit_range = np.array([[[0.0, 0.5], [1.0, 0.25]]], dtype=np.float32)  # [1, 2, 2] in [0, 1]
    np.savez(tmp_path / "a.npz", images=unit_range, labels=np.array([4]))
    data = load_images("npz", tmp_path / "a.npz")
    assert_close(data.images[0, 0], torch.tensor([[-1.0, 0.0], [1.0, -0.5]]))
    assert data.labels is not None and data.labels.tolist() == [4]
    signed = np.array([[[-1.0, 0.5], [1.0, -0.25]]])
    np.savez(tmp_path / "b.npz", x=signed, y=np.array([2]))
    assert_close(
        load_images("npz", tmp_path / "b.npz").images[0, 0], torch.tensor([[-1.0, 0.5], [1.0, -0.25]])
    )
    np.savez(tmp_path / "c.npz", whatever=signed)
    assert load_images("npz", tmp_path / "c.npz").labels is None
    np.savez(tmp_path / "d.npz", x=signed * 3)
    expect_user_error(str(tmp_path / "d.npz"), "npz", tmp_path / "d.npz")
    np.save(tmp_path / "e.npy", np.zeros((2, 5, 5, 5), dtype=np.uint8))
    expect_user_error("shape", "npz", tmp_path / "e.npy")
    np.save(tmp_path / "f.npy", np.zeros((2, 5, 5), dtype=np.int64))
    expect_user_error("int64", "npz", tmp_path / "f.npy")
    expect_user_error(str(tmp_path / "missing.npz"), "npz", tmp_path / "missing.npz")




def test_uint8_to_unit_and_one_line() -> None:
    pixels = np.array([[0, 51], [255, 128]], dtype=np.uint8)[:, ::-1]  # a non-contiguous view is fine
    converted = formats.uint8_to_unit(pixels)
    assert converted.dtype == torch.float32
    expected = torch.tensor([[51 / 255 * 2 - 1, -1.0], [128 / 255 * 2 - 1, 1.0]])
    assert_close(converted, expected, rtol=0, atol=1e-6)
    assert formats.one_line("bad\n  header\tat byte 4 ") == "bad header at byte 4"


def test_find_idx_file_order_and_message(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    (second / "x-ubyte").write_bytes(b"2")
    (second / "x-ubyte.gz").write_bytes(b"2gz")
    assert formats.find_idx_file([first, second], "x-ubyte", "MNIST") == second / "x-ubyte"  # raw before .gz
    (first / "x-ubyte.gz").write_bytes(b"1gz")
    assert formats.find_idx_file([first, second], "x-ubyte", "MNIST") == first / "x-ubyte.gz"  # first folder wins
    with pytest.raises(UserError) as info:
        formats.find_idx_file([first, second], "y-ubyte", "MNIST")
    message = str(info.value)
    assert "\n" not in message
    assert f"expected y-ubyte or y-ubyte.gz in {first} (also looked in {second};" in message


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\x00\x00\x08\x01", "shorter than its IDX header"),
        (idx_bytes(np.zeros(0, dtype=np.uint8)), "all must be positive"),
        (idx_bytes(np.zeros(4, dtype=np.uint8)) + b"\x00", "longer than its header says"),
        (b"\x1f\x8b not really gzip", "cannot decompress"),
    ],
)
def test_read_idx_refuses_damaged_files(tmp_path: Path, data: bytes, needle: str) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(UserError) as info:
        formats.read_idx(path, 1)
    message = str(info.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_read_idx_exact_values(tmp_path: Path) -> None:
    array = np.array([[1, 2, 3], [250, 251, 252]], dtype=np.uint8)
    path = tmp_path / "two.gz"  # the .gz name alone asks for decompression
    path.write_bytes(gzip.compress(idx_bytes(array)))
    read = formats.read_idx(path, 2)
    assert read.dtype == np.uint8 and read.tolist() == array.tolist()


def test_cifar_batch_never_runs_pickled_code(tmp_path: Path) -> None:
    target = tmp_path / "created-by-pickle"
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": ActsIfUnpickled(target), b"labels": [0]}))
    with pytest.raises(UserError, match="refusing to load") as info:
        formats.read_cifar10(tmp_path, ["test_batch"])
    assert str(tmp_path / "test_batch") in str(info.value) and not target.exists()


def test_cifar_batch_that_is_not_a_dict(tmp_path: Path) -> None:
    (tmp_path / "test_batch").write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(UserError, match="not a CIFAR-10 python batch: expected keys b'data' and b'labels', got list"):
        formats.read_cifar10(tmp_path, ["test_batch"])
    (tmp_path / "test_batch").write_bytes(b"\x80\x04 truncated")
    with pytest.raises(UserError, match="cannot read CIFAR-10 batch"):
        formats.read_cifar10(tmp_path, ["test_batch"])


@pytest.mark.parametrize(
    ("arrays", "needle"),
    [
        ({"images": np.zeros((2, 4, 4), dtype=np.uint8), "labels": np.array([1, 2, 3])}, "expected 2 integers"),
        ({"images": np.zeros((2, 4, 4), dtype=np.uint8), "labels": np.array([0.5, 1.0])}, "float64 [2]"),
        ({"images": np.full((1, 4, 4), np.nan)}, "NaN or infinite"),
        ({"images": np.zeros((0, 4, 4), dtype=np.uint8)}, "holds no images"),
        ({"a": np.zeros((1, 4, 4)), "b": np.zeros((1, 4, 4))}, "name the images array 'images' or 'x'"),
    ],
)
def test_read_array_refuses(tmp_path: Path, arrays: dict[str, np.ndarray], needle: str) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError) as info:
        formats.read_array(path)
    message = str(info.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_read_array_refuses_pickles_and_garbage(tmp_path: Path) -> None:
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not a zip")
    for path in (objects, garbage):
        with pytest.raises(UserError, match=re.escape(f"cannot read {path} as .npy/.npz")):
            formats.read_array(path)
