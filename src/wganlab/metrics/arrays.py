"""Metric inputs as finite float64 matrices: the one conversion every image metric starts with."""

from __future__ import annotations

import numpy as np
from torch import Tensor

Features = Tensor | np.ndarray


def as_float64_matrix(values: Features, name: str) -> np.ndarray:
    """[N, D] tensor or array of any float dtype as a finite float64 numpy array (ValueError otherwise)."""
    if isinstance(values, Tensor):
        array = values.detach().to("cpu").double().numpy()
    else:
        array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a [N, D] matrix, got shape {tuple(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def feature_pair(real: Features, fake: Features) -> tuple[np.ndarray, np.ndarray]:
    """Real [N, D] and fake [M, D] features as finite float64 matrices of the same width (ValueError otherwise)."""
    real_array = as_float64_matrix(real, "real")
    fake_array = as_float64_matrix(fake, "fake")
    if real_array.shape[1] != fake_array.shape[1]:
        raise ValueError(f"real and fake features differ in width: {real_array.shape[1]} vs {fake_array.shape[1]}")
    return real_array, fake_array
