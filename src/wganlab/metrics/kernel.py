"""Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel, averaged over subsets."""

from __future__ import annotations

import numpy as np

from wganlab.metrics.arrays import Features, as_float64_matrix, feature_pair


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x.y / d + 1)^3 for x [N, d], y [M, d] -> [N, M] (Binkowski et al. 2018)."""
    dim = x.shape[1]
    return (np.asarray(x, dtype=np.float64) @ np.asarray(y, dtype=np.float64).T / dim + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with the polynomial kernel (diagonals of K_xx, K_yy excluded).

    MMD^2_u = sum_{i!=j} k(x_i, x_j) / (n(n-1)) + sum_{i!=j} k(y_i, y_j) / (m(m-1)) - 2 mean_ij k(x_i, y_j)
    (Gretton et al. 2012, eq. 3).
    """
    x = as_float64_matrix(x, "x")  # [n, d]
    y = as_float64_matrix(y, "y")  # [m, d]
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y differ in width: {x.shape[1]} vs {y.shape[1]}")
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        raise ValueError(f"unbiased MMD^2 needs at least 2 samples per side, got {n} and {m}")
    k_xx = polynomial_kernel(x, x)  # [n, n]
    k_yy = polynomial_kernel(y, y)  # [m, m]
    k_xy = polynomial_kernel(x, y)  # [n, m]
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(term_xx + term_yy - 2.0 * k_xy.mean())


def kernel_inception_distance(
    real: Features,
    fake: Features,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """KID (Binkowski et al. 2018): mean and std (ddof=0, as the original code) of MMD^2_u over subsets.

    Each subset draws min(subset_size, N_real, N_fake) rows of each set without replacement; subsets
    are drawn independently of one another.
    """
    real_array, fake_array = feature_pair(real, fake)  # [N, D], [M, D]
    if subsets < 1:
        raise ValueError(f"subsets must be >= 1, got {subsets}")
    size = min(subset_size, len(real_array), len(fake_array))
    if size < 2:
        raise ValueError(f"KID needs subsets of at least 2 rows, got {size} (subset_size or a set too small)")
    scores = np.empty(subsets, dtype=np.float64)
    for index in range(subsets):
        real_rows = rng.choice(len(real_array), size, replace=False)
        fake_rows = rng.choice(len(fake_array), size, replace=False)
        scores[index] = mmd2_unbiased(real_array[real_rows], fake_array[fake_rows])
    return float(scores.mean()), float(scores.std())
