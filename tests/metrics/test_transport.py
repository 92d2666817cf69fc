"""Exact W1 against independent references: assignment, translation, sorted 1-D coupling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from wganlab.metrics.transport import exact_w1


def points(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_matches_brute_force_assignment() -> None:
    # With equal sizes and uniform weights an optimal plan is a permutation (Birkhoff).
    x, y = points(50, 2, 0), points(50, 2, 1) + 0.3
    cost = cdist(x.numpy(), y.numpy())
    rows, cols = linear_sum_assignment(cost)
    assert exact_w1(x, y) == pytest.approx(cost[rows, cols].mean(), abs=1e-9, rel=0)


def test_set_with_itself_is_zero() -> None:
    x = points(200, 2, 2)
    assert exact_w1(x, x) == pytest.approx(0.0, abs=1e-12)


def test_translation_costs_the_shift_length() -> None:
    # Lower bound ||E x - E y|| = ||v||; the identity coupling attains it.
    x = points(300, 2, 3).float()
    v = torch.tensor([0.3, -0.4])
    assert exact_w1(x, x + v) == pytest.approx(0.5, abs=1e-6)


def test_one_dimensional_sorted_coupling() -> None:
    x, y = points(400, 1, 4), 2 * points(400, 1, 5) + 1
    reference = np.abs(np.sort(x.numpy()[:, 0]) - np.sort(y.numpy()[:, 0])).mean()
    assert exact_w1(x, y) == pytest.approx(reference, abs=1e-9, rel=0)


def test_unequal_sizes_are_symmetric_and_nonnegative() -> None:
    x, y = points(30, 2, 6), points(45, 2, 7)
    forward, backward = exact_w1(x, y), exact_w1(y, x)
    assert forward > 0
    assert forward == pytest.approx(backward, abs=1e-12)


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        exact_w1(torch.zeros(3, 2), torch.zeros(3, 1))


def test_a_point_that_is_not_finite_gives_nan_not_an_error() -> None:
    x = torch.tensor([[0.0, 0.0], [float("nan"), 1.0]])
    y = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert math.isnan(exact_w1(x, y)) and math.isnan(exact_w1(y, x * float("inf")))
