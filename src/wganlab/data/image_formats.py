"""Readers for image files on disk: MNIST IDX, CIFAR-10 python batches, .npy/.npz.

Each reader checks its format and raises `UserError` (one line naming the file) for anything a user
can fix; it returns images [N, C, H, W] as they are stored (uint8 0..255, or float32 in [-1, 1] for float
arrays) and int64 labels or None. Nothing is ever downloaded. Folders of PNG/JPEG are image_folder.py's.
"""

from __future__ import annotations

import math
import pickle
import zlib
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from wganlab.errors import UserError, one_line
from wganlab.machine import available_memory

_GZIP_MAGIC = b"\x1f\x8b"


def uint8_to_unit(pixels: np.ndarray) -> Tensor:
    """uint8 0..255 -> float32 x / 255 * 2 - 1 in [-1, 1]."""
    return torch.from_numpy(np.require(pixels, np.uint8, ["C", "W"])).float().div_(255.0).mul_(2.0).sub_(1.0)


def unit_to_uint8(images: Tensor) -> Tensor:
    """[-1, 1] -> uint8 round((x + 1) * 127.5), clamped to 0..255 (in float64, so .5 rounds the same everywhere)."""
    return ((images.detach().cpu().double() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def as_saved(images: Tensor) -> Tensor:
    """The images as an 8-bit file holds them and a reader gives them back: uint8_to_unit(unit_to_uint8(x))."""
    return uint8_to_unit(unit_to_uint8(images).numpy())


# ---- MNIST / Fashion-MNIST IDX -------------------------------------------------------------------


def find_idx_file(folders: list[Path], filename: str, dataset: str) -> Path:
    """The first of `filename` or `filename.gz` in `folders`; UserError naming both when neither exists."""
    for folder in folders:
        for candidate in (folder / filename, folder / f"{filename}.gz"):
            if candidate.is_file():
                return candidate
    others = ", ".join(str(f) for f in folders[1:])
    raise UserError(
        f"expected {filename} or {filename}.gz in {folders[0]} (also looked in {others}; "
        f"{dataset} IDX files are not downloaded; put them there)"
    )


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes (magic 0x0000080<ndim>, big-endian int32 dims), raw or gzipped.

    A gzipped file is decompressed only as far as its header says it holds, so a decompression bomb is refused
    after the header rather than filling memory.
    """
    data = path.read_bytes()
    header_bytes = 4 + 4 * ndim
    gzipped = path.suffix == ".gz" or data[:2] == _GZIP_MAGIC
    inflater = zlib.decompressobj(wbits=31) if gzipped else None
    try:
        header = inflater.decompress(data, header_bytes) if inflater is not None else data[:header_bytes]
    except zlib.error as error:
        raise UserError(f"cannot decompress {path}: {one_line(error)} (download it again)") from None
    if len(header) < header_bytes:
        raise UserError(
            f"{path} is truncated: {len(header)} bytes, shorter than its IDX header (download it again)"
        )
    expected_magic = 0x0800 | ndim
    magic = int.from_bytes(header[:4], "big")
    if magic != expected_magic:
        raise UserError(
            f"{path} has IDX magic number 0x{magic:08X}, expected 0x{expected_magic:08X} "
            f"(unsigned bytes, {ndim}-D): is it the right file?"
        )
    dims = [int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big", signed=True) for i in range(ndim)]
    if any(d <= 0 for d in dims):
        raise UserError(
            f"{path} has IDX dimensions {dims}; all must be positive (download it again)"
        )
    expected_bytes = math.prod(dims)  # Python integers: no overflow
    if expected_bytes > available_memory():
        raise UserError(f"{path} says it holds {expected_bytes:,} bytes ({dims}), more than the memory available "
                        f"({available_memory():,} bytes); is it the right file?")
    if inflater is not None:
        try:
            payload = inflater.decompress(inflater.unconsumed_tail, expected_bytes + 1)
        except zlib.error as error:
            raise UserError(f"cannot decompress {path}: {one_line(error)} (download it again)") from None
        if len(payload) == expected_bytes and not inflater.eof and inflater.unconsumed_tail:
            payload += b"?"  # more than the header says: reported below without inflating the rest
    else:
        payload = data[header_bytes:]
    if len(payload) != expected_bytes:
        problem = "truncated" if len(payload) < expected_bytes else "longer than its header says"
        raise UserError(
            f"{path} is {problem}: {len(payload)} bytes of data for dimensions {dims}, "
            f"expected {expected_bytes} (download it again)"
        )
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


def read_idx_pair(folders: list[Path], prefix: str, dataset: str) -> tuple[np.ndarray, Tensor, Path]:
    """`{prefix}-images-idx3-ubyte` + `{prefix}-labels-idx1-ubyte` -> (uint8 [N, 1, H, W], [N] int64, folder)."""
    images_path = find_idx_file(folders, f"{prefix}-images-idx3-ubyte", dataset)
    labels_path = find_idx_file(folders, f"{prefix}-labels-idx1-ubyte", dataset)
    pixels = read_idx(images_path, 3)  # [N, H, W] uint8
    labels = read_idx(labels_path, 1)  # [N] uint8
    if len(pixels) != len(labels):
        raise UserError(
            f"{images_path} holds {len(pixels)} images but {labels_path} holds {len(labels)} labels "
            "(the two files must come from the same split)"
        )
    return pixels[:, None], torch.from_numpy(labels.astype(np.int64)), images_path.parent


# ---- CIFAR-10 python batches ---------------------------------------------------------------------


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles only the numpy arrays, lists, dicts and bytes a CIFAR batch holds; never runs other code."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch: {b"data": uint8 [n, 3072], b"labels": [n]} -> ([n, 3, 32, 32], [n] int64)."""
    try:
        with path.open("rb") as file:
            batch = _NumpyOnlyUnpickler(file, encoding="bytes").load()
    except Exception as error:  # pickle raises many types on a corrupt file
        raise UserError(
            f"cannot read CIFAR-10 batch {path}: {one_line(error)} (download it again)"
        ) from error
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(map(repr, batch)) if isinstance(batch, dict) else type(batch).__name__
        raise UserError(
            f"{path} is not a CIFAR-10 python batch: expected keys b'data' and b'labels', got {keys}"
        )
    try:
        data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    except (ValueError, TypeError) as error:  # ragged or mixed lists
        raise UserError(f"{path}: b'data' or b'labels' is not an array ({one_line(error)}); download it again") \
            from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise UserError(f"{path}: b'data' is {data.dtype} {list(data.shape)}, expected uint8 [N, 3072]")
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise UserError(
            f"{path} holds {len(data)} images but b'labels' is {labels.dtype} {list(labels.shape)}"
        )
    # Each row is the R, G and B planes of a 32x32 image, each plane row-major.
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def read_cifar10(folder: Path, filenames: list[str]) -> tuple[np.ndarray, Tensor]:
    """Concatenate the named batches in `folder` -> (uint8 [N, 3, 32, 32], [N] int64)."""
    missing = [name for name in filenames if not (folder / name).is_file()]
    if missing:
        raise UserError(
            f"expected CIFAR-10 batch {missing[0]} in {folder} (the python version, cifar-10-python.tar.gz, "
            "unpacked; it is not downloaded; put it there)"
        )
    batches = [_read_cifar_batch(folder / name) for name in filenames]
    pixels = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    return pixels, torch.from_numpy(labels)


# ---- .npy / .npz arrays --------------------------------------------------------------------------


def _pick_arrays(path: Path, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Images from "images", "x" or the only non-label array; labels from "labels" or "y" if present."""
    label_key = next((k for k in ("labels", "y") if k in arrays), None)
    image_key = next((k for k in ("images", "x") if k in arrays), None)
    if image_key is None:
        rest = [k for k in arrays if k != label_key]
        if len(rest) != 1:
            raise UserError(f"{path} holds arrays {sorted(arrays)}: name the images array 'images' or 'x'")
        image_key = rest[0]
    return arrays[image_key], None if label_key is None else arrays[label_key]


def _to_nchw(path: Path, images: np.ndarray) -> np.ndarray:
    """[N, H, W] -> [N, 1, H, W]; [N, H, W, C] or [N, C, H, W] with C in {1, 3}; last axis wins a tie."""
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4 and images.shape[3] in (1, 3):
        return images.transpose(0, 3, 1, 2)
    if images.ndim == 4 and images.shape[1] in (1, 3):
        return images
    raise UserError(
        f"{path}: images have shape {list(images.shape)}; expected [N, H, W], [N, H, W, C] or [N, C, H, W] "
        "with C = 1 or 3"
    )


def _stored(path: Path, images: np.ndarray) -> np.ndarray | Tensor:
    """uint8 0..255 as is; float in [0, 1] -> x * 2 - 1; other float in [-1, 1] as is (float32)."""
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise UserError(
            f"{path}: images are {images.dtype}; expected uint8 (0..255) or float in [0, 1] or [-1, 1] "
            "(convert with .astype(np.uint8) or scale to floats)"
        )
    if not np.isfinite(images).all():
        raise UserError(f"{path}: images contain NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < -1.0 or high > 1.0:
        raise UserError(f"{path}: float images span [{low:g}, {high:g}]; scale them to [0, 1] or [-1, 1]")
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    return tensor * 2.0 - 1.0 if low >= 0.0 else tensor


def read_array(path: Path) -> tuple[np.ndarray | Tensor, Tensor | None]:
    """A .npy (images only) or .npz file -> (uint8 [N, C, H, W] or float32 in [-1, 1], [N] int64 or None).

    Float arrays whose minimum is >= 0 are read as [0, 1]; others must lie in [-1, 1].
    """
    if not path.is_file():
        raise UserError(f"expected a .npy or .npz file at {path}, found none")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            images, labels = loaded, None
        else:
            with loaded:
                images, labels = _pick_arrays(path, {k: loaded[k] for k in loaded.files})
    except UserError:
        raise
    except Exception as error:  # numpy raises ValueError, OSError, zipfile errors on a corrupt file
        raise UserError(f"cannot read {path} as .npy/.npz: {one_line(error)}") from error
    images = _to_nchw(path, images)
    if len(images) == 0:
        raise UserError(f"{path} holds no images")
    if images.size == 0:
        raise UserError(f"{path}: images have shape {list(images.shape)}, with no pixels")
    stored = _stored(path, images)
    if labels is None:
        return stored, None
    if labels.ndim != 1 or len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise UserError(
            f"{path}: labels are {labels.dtype} {list(labels.shape)}; "
            f"expected {len(images)} integers, one per image"
        )
    return stored, torch.from_numpy(labels.astype(np.int64))
