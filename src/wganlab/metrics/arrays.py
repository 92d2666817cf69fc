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
