"""KID against a double-loop MMD^2 reference, the single full subset, same-distribution and determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wganlab.metrics.kernel import kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def reference_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_kernel_formula() -> None:
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(polynomial_kernel(x, y), [[(1 / 2 + 1) ** 3, 1.0]], rtol=1e-15)


def test_matches_double_loop_reference() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 5)), rng.normal(0.3, 1.2, size=(40, 5))
    np.testing.assert_allclose(mmd2_unbiased(x, y), reference_mmd2(x, y), rtol=1e-10, atol=1e-12)


def test_single_full_subset_equals_mmd2() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 8)), rng.normal(0.5, 1.0, size=(60, 8))
    mean, std = kernel_inception_distance(
        torch.from_numpy(x), torch.from_numpy(y), subsets=1, subset_size=1000, rng=np.random.default_rng(2)
    )
    np.testing.assert_allclose(mean, mmd2_unbiased(x, y), rtol=1e-10)
    assert std == 0.0


def test_same_distribution_is_near_zero_and_different_is_not() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    mean, std = kernel_inception_distance(x, y, subsets=20, subset_size=300, rng=np.random.default_rng(4))
    assert std > 0
    # subsets reuse the same 600 rows, so the mean's noise is about the spread of one subset's score
    assert abs(mean) < 3 * std
    shifted, _ = kernel_inception_distance(
        x, y + 0.5, subsets=20, subset_size=300, rng=np.random.default_rng(5)
    )
    assert shifted > 100 * abs(mean)


def test_deterministic_given_seed() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(200, 4)), rng.normal(size=(150, 4))
    first = kernel_inception_distance(x, y, subsets=5, subset_size=100, rng=np.random.default_rng(6))
    second = kernel_inception_distance(x, y, subsets=5, subset_size=100, rng=np.random.default_rng(6))
    assert first == second


def test_rejects_bad_input() -> None:
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="width"):
        mmd2_unbiased(x, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        mmd2_unbiased(x, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="subsets"):
        kernel_inception_distance(x, x, subsets=0, rng=np.random.default_rng(0))
