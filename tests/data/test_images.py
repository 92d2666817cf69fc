"""Image loaders against small hand-made files: exact pixels, labels, layouts and one-line errors."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from wganlab.data.images import IMAGE_DATASETS, ImageData, load_images
from wganlab.errors import UserError


def unit(pixels: np.ndarray) -> torch.Tensor:
    """The expected uint8 -> [-1, 1] mapping."""
    return torch.from_numpy(pixels.astype(np.float32)) / 255.0 * 2.0 - 1.0


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        data = idx_bytes(array)
        name = f"{prefix}-{kind}-ubyte"
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def expect_user_error(match: str, *args: object, **kwargs: object) -> str:
    with pytest.raises(UserError) as info:
        load_images(*args, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and match in message, message
    return message


MNIST_IMAGES = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
MNIST_LABELS = np.array([7, 0, 9])


def test_registry_names() -> None:
    assert set(IMAGE_DATASETS) == {"digits", "mnist", "fashion-mnist", "cifar10", "folder", "npz"}
    assert all(d and "\n" not in d for d in IMAGE_DATASETS.descriptions().values())


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


@pytest.mark.parametrize(
    "name,layout", [("mnist", "raw"), ("mnist", "MNIST/raw"), ("fashion-mnist", "FashionMNIST/raw")]
)
def test_idx_nested_layouts(tmp_path: Path, name: str, layout: str) -> None:
    write_idx(tmp_path / layout, "train", MNIST_IMAGES, MNIST_LABELS, gz=True)
    data = load_images(name, tmp_path)
    assert_close(data.images[:, 0], unit(MNIST_IMAGES), rtol=0, atol=1e-6)
    assert data.labels is not None and data.labels.tolist() == [7, 0, 9]


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


def write_cifar(folder: Path, name: str, data: np.ndarray, labels: list[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    batch = {b"batch_label": b"x", b"data": data.astype(np.uint8), b"labels": labels}
    (folder / name).write_bytes(pickle.dumps(batch))


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
