"""Image data sets as [N, C, H, W] float32 tensors in [-1, 1], read from local files only.

`digits` ships with scikit-learn; MNIST, Fashion-MNIST, CIFAR-10, image folders and .npy/.npz files
are read from a folder the user gives (see image_formats.py for the file formats). Nothing is
downloaded: a missing file is a `UserError` saying which file was expected where.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wganlab.data import image_formats as formats
from wganlab.errors import UserError
from wganlab.parts import Parts


# eq=False: the generated __eq__ would compare tensors elementwise and raise on `bool(...)`.
@dataclass(frozen=True, eq=False)
class ImageData:
    """A named image data set; `images` are [N, C, H, W] float32 in [-1, 1]."""

    name: str
    source: str  # a path, or "scikit-learn digits"
    images: Tensor  # [N, C, H, W] float32 in [-1, 1]
    labels: Tensor | None  # [N] int64, or None when the source has no labels

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        channels, height, width = self.images.shape[1:]
        return int(channels), int(height), int(width)

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        """`n` rows drawn uniformly with replacement using only `rng`, on `rng.device`."""
        assert n >= 1, f"need at least one sample, got n={n}"
        rows = torch.randint(len(self.images), (n,), generator=rng, device=rng.device)  # [n]
        return self.images[rows.to(self.images.device)].to(rng.device)  # [n, C, H, W]


DIGITS_TRAIN_SIZE = 1437  # of 1,797; the last 360 of the fixed permutation are the test split


def _digits(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor, str]:
    """scikit-learn digits, x / 16 * 2 - 1, rows of a fixed permutation (seed 0) for the split."""
    from sklearn.datasets import load_digits  # optional dependency, needed only here

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32)) / 16.0 * 2.0 - 1.0  # [1797, 8, 8]
    labels = torch.from_numpy(digits.target.astype(np.int64))  # [1797]
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    rows = order[:DIGITS_TRAIN_SIZE] if split == "train" else order[DIGITS_TRAIN_SIZE:]
    return images[rows].unsqueeze(1), labels[rows], "scikit-learn digits"  # [n, 1, 8, 8], [n]


def _idx_folders(root: Path, torchvision_name: str) -> list[Path]:
    return [root, root / "raw", root / torchvision_name / "raw"]


def _mnist(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor, str]:
    prefix = "train" if split == "train" else "t10k"
    images, labels, folder = formats.read_idx_pair(_idx_folders(root, "MNIST"), prefix, "MNIST")
    return images, labels, str(folder)


def _fashion_mnist(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor, str]:
    prefix = "train" if split == "train" else "t10k"
    images, labels, folder = formats.read_idx_pair(_idx_folders(root, "FashionMNIST"), prefix, "Fashion-MNIST")
    return images, labels, str(folder)


def _cifar10(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor, str]:
    nested = root / "cifar-10-batches-py"
    folder = nested if nested.is_dir() else root
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    images, labels = formats.read_cifar10(folder, names)
    return images, labels, str(folder)


def _npz(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor | None, str]:
    images, labels = formats.read_array(root)
    return images, labels, str(root)


def resize_images(images: Tensor, size: int) -> Tensor:
    """Bilinear, antialiased, align_corners=False resize to size x size, clamped to [-1, 1]."""
    if images.shape[-2:] == (size, size):
        return images
    resized = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return resized.clamp_(-1.0, 1.0)


def pad_images(images: Tensor, size: int, source: str) -> Tensor:
    """Pad symmetrically with -1 (black) to size x size; the extra pixel of an odd margin goes last."""
    height, width = images.shape[-2:]
    if size < height or size < width:
        raise UserError(
            f"cannot pad {width}x{height} images from {source} to {size}x{size}: pad_to is too small"
        )
    top, left = (size - height) // 2, (size - width) // 2
    return F.pad(images, (left, size - width - left, top, size - height - top), value=-1.0)


def _folder(root: Path, split: str, resize: int) -> tuple[Tensor, Tensor | None, str]:
    """An image folder; with `resize`, images of different sizes are resized one by one."""
    arrays, labels = formats.read_folder(root, same_size=resize == 0)
    if len({a.shape for a in arrays}) == 1:
        return formats.uint8_to_unit(np.stack(arrays)), labels, str(root)  # [N, C, H, W]
    resized = [resize_images(formats.uint8_to_unit(a[None]), resize) for a in arrays]  # each [1, C, s, s]
    return torch.cat(resized), labels, str(root)


@dataclass(frozen=True)
class ImageSource:
    """An image data set as `data.name` chooses it: how to read it, its splits, its default feature extractor."""

    name: str
    description: str
    read: Callable[[Path, str, int], tuple[Tensor, Tensor | None, str]]  # (root, split, resize) -> data, labels, where
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


def _check_options(name: str, root: str | Path | None, split: str, resize: int, pad_to: int) -> ImageSource:
    if name not in IMAGE_DATASETS:
        raise UserError(f"unknown image data set {name!r}; choose one of {', '.join(IMAGE_DATASETS)}")
    source = IMAGE_DATASETS[name]
    where = f" ({root})" if root is not None else ""
    if split not in source.splits:
        choices = ", ".join(repr(s) for s in source.splits)
        raise UserError(f"unknown split {split!r} for {name}{where}; choose one of {choices}")
    if resize < 0 or pad_to < 0:
        raise UserError(f"resize and pad_to must be >= 0 (0 means off), got resize={resize}, pad_to={pad_to}")
    if root is None and source.needs_root:
        raise UserError(f"{name} is read from local files: give the folder or file that holds them as root")
    return source


def load_images(
    name: str, root: str | Path | None = None, *, split: str = "train", resize: int = 0, pad_to: int = 0
) -> ImageData:
    """Load the image data set `name` from `root` (ignored for digits); optionally resize, then pad.

    `resize > 0` resizes to resize x resize (bilinear, antialiased); `pad_to > 0` pads with -1 to
    pad_to x pad_to. Raises `UserError` for anything a user can fix; never downloads.
    """
    reader = _check_options(name, root, split, resize, pad_to)
    # `--set data.root=~/data` reaches us unexpanded: the shell expands ~ only at the start of a word
    images, labels, source = reader.read(Path(root or "").expanduser(), split, resize)  # root is empty for digits
    if resize > 0:
        images = resize_images(images, resize)
    if pad_to > 0:
        images = pad_images(images, pad_to, source)
    assert images.dtype == torch.float32 and images.ndim == 4
    return ImageData(name=name, source=source, images=images.contiguous(), labels=labels)
