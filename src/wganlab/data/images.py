"""Image data sets as [N, C, H, W] pixels read from local files only, turned into float32 in [-1, 1] batch by batch.

`digits` ships with scikit-learn; MNIST, Fashion-MNIST, CIFAR-10, image folders and .npy/.npz files
are read from a folder the user gives (image_formats.py, image_folder.py). Nothing is downloaded: a
missing file is a `UserError` saying which file was expected where. 8-bit images stay 8-bit in memory
(a quarter of float32) or, for folders, in a memory-mapped cache (image_cache.py); each batch is
gathered, moved to the device that asks for it, and only there converted to float.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wganlab import sharding
from wganlab.data import image_formats as formats
from wganlab.data.image_cache import decode_folder
from wganlab.data.transforms import Transform, transform_float, transform_uint8
from wganlab.errors import UserError
from wganlab.integrity import content_digest
from wganlab.parts import Parts

DEVICE_SHARE = 0.25  # the largest share of a GPU's memory that a data set's stored pixels are kept in (`placed`)


def to_unit(pixels: Tensor) -> Tensor:
    """uint8 0..255 -> float32 x / 255 * 2 - 1 (as image_formats.uint8_to_unit); float32 [-1, 1] as is."""
    if pixels.dtype == torch.uint8:
        return pixels.float().div_(255.0).mul_(2.0).sub_(1.0)
    return pixels


def random_flip(images: Tensor, rng: torch.Generator) -> Tensor:
    """Each image mirrored left-right with probability 1/2, the coins drawn from `rng`."""
    flipped = sharding.rand((len(images),), rng, rng.device, torch.float32) < 0.5  # [n]
    return torch.where(flipped.to(images.device)[:, None, None, None], images.flip(-1), images)


# eq=False: the generated __eq__ would compare tensors elementwise and raise on `bool(...)`.
@dataclass(frozen=True, eq=False)
class ImageData:
    """A named image data set: `pixels` [N, C, H, W] as stored, uint8 0..255 (in memory or memory-mapped) or
    float32 in [-1, 1]; every batch it gives is float32 in [-1, 1] on the device that asks."""

    name: str
    source: str  # a path, or "scikit-learn digits"
    pixels: Tensor  # [N, C, H, W] uint8, or float32 in [-1, 1]
    labels: Tensor | None  # [N] int64, or None when the source has no labels
    flip: bool = False  # sample() mirrors each image left-right with probability 1/2
    key: str = ""  # a digest of the content when the reader knows one (the image cache's); else computed
    resident: tuple[Tensor, Tensor | None] | None = None  # pixels and labels kept on a GPU (`placed`); else None

    def __len__(self) -> int:
        return len(self.pixels)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        channels, height, width = self.pixels.shape[1:]
        return int(channels), int(height), int(width)

    @property
    def images(self) -> Tensor:
        """Every image as float32 [N, C, H, W] in [-1, 1], in memory (4 bytes a value): for small data; large data
        goes through `chunks` or `sample`."""
        return to_unit(self.pixels[:])

    def placed(self, device: torch.device | str) -> ImageData:
        """This data set with its pixels and labels also kept on `device` when that is a GPU and they take at most
        DEVICE_SHARE of its memory (CIFAR-10's 150 MB), so each batch is gathered there; else as it is."""
        device = torch.device(device)
        memory = torch.cuda.get_device_properties(device).total_memory if device.type == "cuda" else 0
        if self.pixels.nbytes > DEVICE_SHARE * memory:
            return self
        labels = None if self.labels is None else self.labels.to(device)
        return dataclasses.replace(self, resident=(self.pixels.to(device), labels))

    def _kept(self, rows: Tensor) -> tuple[Tensor, Tensor | None] | None:
        """The pixels and labels kept on the device of `rows` (`placed`), or None."""
        return self.resident if self.resident is not None and self.resident[0].device == rows.device else None

    def rows(self, rows: Tensor, device: torch.device | str) -> Tensor:
        """The images at `rows` as float32 in [-1, 1] on `device`: gathered on the device where the pixels are kept
        there (`placed`) or stored there (the CPU); else gathered on the host, pinned, and copied without waiting
        (data too large for the device: the row indices come to the host first, a wait, and another for labels)."""
        if (kept := self._kept(rows)) is not None:
            return to_unit(kept[0].index_select(0, rows))
        if self.pixels.device == rows.device:
            return to_unit(self.pixels.index_select(0, rows)).to(device)
        batch, pinned = self.pixels.index_select(0, rows.to(self.pixels.device)), torch.device(device).type == "cuda"
        return to_unit((batch.pin_memory() if pinned else batch).to(device, non_blocking=pinned))

    def labels_at(self, rows: Tensor) -> Tensor | None:
        """The labels of `rows` on their device (None for unlabelled data), kept there when `placed`."""
        if self.labels is None:
            return None
        if (kept := self._kept(rows)) is not None and kept[1] is not None:
            return kept[1].index_select(0, rows)
        return self.labels.index_select(0, rows.to(self.labels.device)).to(rows.device)

    def chunks(self, size: int) -> Iterator[Tensor]:
        """All images in order, `size` at a time, as float32 in [-1, 1] on the CPU."""
        for start in range(0, len(self), size):
            yield to_unit(self.pixels[start : start + size].clone())

    def fingerprint(self) -> str:
        """A digest of the pixels (the reader's content key when it has one; else their dtype, shape and bytes,
        hashed in place)."""
        return self.key or content_digest(self.pixels.numpy())

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        """`n` rows drawn uniformly with replacement using only `rng`, on `rng.device` (flipped if `flip`)."""
        return self._draw(n, rng)[1]

    def sample_with_labels(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        """`sample`'s images (the same draws from `rng`) and their labels [n] int64 on `rng.device`."""
        rows, images = self._draw(n, rng)
        labels = self.labels_at(rows)
        if labels is None:
            raise UserError(f"{self.source} has no labels: give labelled images (class subfolders, an .npz 'labels' "
                            "array)")
        return images, labels

    def sample_of_class(self, n: int, label: int, rng: torch.Generator) -> Tensor:
        """`n` images of class `label`, drawn uniformly with replacement from its rows using only `rng`, on
        `rng.device` (not flipped: for probes, not for training)."""
        if self.labels is None or not bool((self.labels == label).any()):
            raise UserError(f"{self.source} has no images of class {label}: every class 0..classes-1 needs some")
        rows = torch.nonzero(self.labels == label).flatten()
        chosen = rows[torch.randint(len(rows), (n,), generator=rng, device=rng.device).to(rows.device)]
        return self.rows(chosen, rng.device)

    def _draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        assert n >= 1, f"need at least one sample, got n={n}"
        rows = sharding.randint(len(self), (n,), rng, rng.device)  # [n] (a distributed rank's rows of the batch's)
        images = self.rows(rows, rng.device)  # [n, C, H, W]
        return rows, random_flip(images, rng) if self.flip else images

    def first(self, count: int) -> ImageData:
        """The first `count` images alone (a copy, so a memory-mapped file is not kept open for them)."""
        labels = None if self.labels is None else self.labels[:count].clone()
        return dataclasses.replace(self, pixels=self.pixels[:count].clone(), labels=labels, key="", resident=None)


Read = tuple[Tensor, Tensor | None, str, str]  # pixels, labels, where they came from, content key ("" if unknown)


def _arrays(pixels: np.ndarray | Tensor, labels: Tensor | None, where: str, transform: Transform) -> Read:
    """Transform what a reader gave (uint8 stays uint8, float stays float)."""
    if isinstance(pixels, np.ndarray):
        pixels = np.require(transform_uint8(pixels, transform, where), np.uint8, ["C", "W"])  # a tensor may write
        return torch.from_numpy(pixels), labels, where, ""
    return transform_float(pixels, transform, where), labels, where, ""


DIGITS_TRAIN_SIZE = 1437  # of 1,797; the last 360 of the fixed permutation are the test split


def _digits(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    """scikit-learn digits, x / 16 * 2 - 1 (float: 17 grey levels), rows of a fixed permutation (seed 0)."""
    from sklearn.datasets import load_digits  # optional dependency, needed only here

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32)) / 16.0 * 2.0 - 1.0  # [1797, 8, 8]
    labels = torch.from_numpy(digits.target.astype(np.int64))  # [1797]
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    rows = order[:DIGITS_TRAIN_SIZE] if split == "train" else order[DIGITS_TRAIN_SIZE:]
    return _arrays(images[rows].unsqueeze(1), labels[rows], "scikit-learn digits", transform)  # [n, 1, 8, 8]


def _idx_folders(root: Path, torchvision_name: str) -> list[Path]:
    return [root, root / "raw", root / torchvision_name / "raw"]


def _mnist(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    prefix = "train" if split == "train" else "t10k"
    images, labels, folder = formats.read_idx_pair(_idx_folders(root, "MNIST"), prefix, "MNIST")
    return _arrays(images, labels, str(folder), transform)


def _fashion_mnist(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    prefix = "train" if split == "train" else "t10k"
    images, labels, folder = formats.read_idx_pair(_idx_folders(root, "FashionMNIST"), prefix, "Fashion-MNIST")
    return _arrays(images, labels, str(folder), transform)


def _cifar10(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    nested = root / "cifar-10-batches-py"
    folder = nested if nested.is_dir() else root
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    images, labels = formats.read_cifar10(folder, names)
    return _arrays(images, labels, str(folder), transform)


def _npz(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    images, labels = formats.read_array(root)
    return _arrays(images, labels, str(root), transform)


def _folder(root: Path, split: str, transform: Transform, cache: bool) -> Read:
    """An image folder, decoded once into the cache (memory-mapped) or, with cache=False, into memory."""
    decoded = decode_folder(root, transform, cache=cache)
    labels = None if decoded.labels is None else torch.from_numpy(decoded.labels)
    return torch.from_numpy(decoded.pixels), labels, str(root), decoded.key


@dataclass(frozen=True)
class ImageSource:
    """An image data set as `data.name` chooses it: how to read it, its splits, its default feature extractor."""

    name: str
    description: str
    read: Callable[[Path, str, Transform, bool], Read]  # (root, split, transform, cache) -> pixels, labels, where, key
    splits: tuple[str, ...] = ("train", "test")
    needs_root: bool = True  # False: shipped with a package, no files to give
    extractor: str | None = None  # the feature extractor that eval.extractor = "auto" picks; None: sample grids only
    shape: tuple[int, int, int] | None = None  # (C, H, W) of every image when the format fixes it


IMAGE_DATASETS: Parts[ImageSource] = Parts("data.name", [
    ImageSource(
        "digits",
        "scikit-learn 8x8 handwritten digits, 1,797 images, fixed 1,437/360 train/test split (offline)",
        _digits,
        needs_root=False,
        extractor="digits-classifier",
        shape=(1, 8, 8),
    ),
    ImageSource(
        "mnist",
        "MNIST 28x28 grayscale digits from IDX files in the data folder (train-*/t10k-*, raw or .gz)",
        _mnist,
        shape=(1, 28, 28),
    ),
    ImageSource(
        "fashion-mnist",
        "Fashion-MNIST 28x28 grayscale clothing from IDX files in the data folder",
        _fashion_mnist,
        shape=(1, 28, 28),
    ),
    ImageSource(
        "cifar10",
        "CIFAR-10 32x32 colour from the python batches (cifar-10-batches-py) in the data folder",
        _cifar10,
        shape=(3, 32, 32),
    ),
    ImageSource("folder", "every .png/.jpg/.jpeg under a folder; class subfolders give labels", _folder, ("train",)),
    ImageSource(
        "npz",
        "a .npy or .npz array file: uint8 or float images, [N,H,W], [N,H,W,C] or [N,C,H,W]",
        _npz,
        ("train",),
    ),
])


def _check_options(name: str, root: str | Path | None, split: str) -> ImageSource:
    if name not in IMAGE_DATASETS:
        raise UserError(f"unknown image data set {name!r}; choose one of {', '.join(IMAGE_DATASETS)}")
    source = IMAGE_DATASETS[name]
    where = f" ({root})" if root is not None else ""
    if split not in source.splits:
        choices = ", ".join(repr(s) for s in source.splits)
        raise UserError(f"unknown split {split!r} for {name}{where}; choose one of {choices}")
    if root is None and source.needs_root:
        raise UserError(f"{name} is read from local files: give the folder or file that holds them as root")
    return source


def load_images(
    name: str,
    root: str | Path | None = None,
    *,
    split: str = "train",
    resize: int = 0,
    pad_to: int = 0,
    crop: bool = False,
    resize_filter: str = "bilinear",
    cache: bool = True,
) -> ImageData:
    """Load the image data set `name` from `root` (ignored for digits): centre crop to a square if `crop`, resize
    to resize x resize with `resize_filter` if `resize`, pad with black to pad_to x pad_to if `pad_to`.

    Folders are decoded once into the image cache (cache=False: into memory, nothing kept). Raises `UserError`
    for anything a user can fix; never downloads.
    """
    transform = Transform(crop, resize, resize_filter, pad_to)
    source = _check_options(name, root, split)
    # `--set data.root=~/data` reaches us unexpanded: the shell expands ~ only at the start of a word
    pixels, labels, where, key = source.read(Path(root or "").expanduser(), split, transform, cache)
    assert pixels.dtype in (torch.uint8, torch.float32) and pixels.ndim == 4
    return ImageData(name=name, source=where, pixels=pixels, labels=labels, key=key)
