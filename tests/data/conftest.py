"""Small hand-made image files for the data tests: IDX pairs, CIFAR-10 batches, the expected pixel mapping."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from wganlab.data.images import load_images
from wganlab.errors import UserError

MNIST_IMAGES = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
MNIST_LABELS = np.array([7, 0, 9])


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


def write_cifar(folder: Path, name: str, data: np.ndarray, labels: list[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    batch = {b"batch_label": b"x", b"data": data.astype(np.uint8), b"labels": labels}
    (folder / name).write_bytes(pickle.dumps(batch))


def expect_user_error(match: str, *args: object, **kwargs: object) -> str:
    """`load_images(*args, **kwargs)` raises a one-line UserError containing `match`; returns the message."""
    with pytest.raises(UserError) as info:
        load_images(*args, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and match in message, message
    return message


