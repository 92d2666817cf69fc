"""Metric inputs as finite float matrices: the one conversion every image metric starts with."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

Features = Tensor | np.ndarray
_CHECK_ROWS = 4096  # rows checked for NaN at a time (no [N, D] mask beside a large feature set)


def as_matrix(values: Features, name: str) -> np.ndarray:
    """[N, D] tensor or array as a finite numpy array in float32 or float64, as given (others become float64), not
    copied where it need not be (ValueError otherwise)."""
    if isinstance(values, Tensor):
        values = values.detach().to("cpu")
        values = (values if values.dtype in (torch.float32, torch.float64) else values.double()).numpy()
    array = np.asarray(values)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a [N, D] matrix, got shape {tuple(array.shape)}")
    if not all_finite(array):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def all_finite(array: np.ndarray) -> bool:
    """No NaN or infinity in `array`, checked _CHECK_ROWS rows at a time (no mask as large as the array)."""
    return all(np.isfinite(array[start : start + _CHECK_ROWS]).all() for start in range(0, len(array), _CHECK_ROWS))


def as_float64_matrix(values: Features, name: str) -> np.ndarray:
    """[N, D] tensor or array of any float dtype as a finite float64 numpy array (ValueError otherwise)."""
    return as_matrix(values, name).astype(np.float64, copy=False)


def feature_pair(real: Features, fake: Features) -> tuple[np.ndarray, np.ndarray]:
    """Real [N, D] and fake [M, D] features as finite float matrices of the same width, each in its own precision
    (float32 or float64; the metrics take float64 blocks of them), ValueError otherwise."""
    real_array = as_matrix(real, "real")
    fake_array = as_matrix(fake, "fake")
    if real_array.shape[1] != fake_array.shape[1]:
        raise ValueError(f"real and fake features differ in width: {real_array.shape[1]} vs {fake_array.shape[1]}")
    return real_array, fake_array
