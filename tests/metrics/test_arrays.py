"""Metric inputs as finite float [N, D] matrices (float64, or float32 kept as given), and the one-line ValueErrors
for anything else."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wganlab.metrics.arrays import as_float64_matrix, as_matrix, feature_pair


@pytest.mark.parametrize(
    "values",
    [
        torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float32, requires_grad=True),
        torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float16),
        np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32),
        [[1, 2], [3, 4]],
    ],
)
def test_any_float_matrix_becomes_float64(values):
    array = as_float64_matrix(values, "real")
    assert isinstance(array, np.ndarray) and array.dtype == np.float64 and array.shape == (2, 2)
    expected = values.detach().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
    np.testing.assert_allclose(array, expected, rtol=0, atol=0)  # the same numbers, widened exactly


def test_float64_input_is_kept_exactly():
    values = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(as_float64_matrix(values, "x"), values)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), ()])
def test_not_a_matrix(shape):
    with pytest.raises(ValueError) as info:
        as_float64_matrix(np.zeros(shape), "fake")
    assert str(info.value) == f"fake must be a [N, D] matrix, got shape {shape}"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(bad):
    values = torch.zeros(3, 2)
    values[1, 0] = bad
    with pytest.raises(ValueError, match="^real contains NaN or infinite values$"):
        as_float64_matrix(values, "real")


def test_feature_pair_keeps_each_sides_precision_without_a_copy():
    """Float32 features (Inception's) stay float32 and are not copied: the metrics take float64 blocks of them."""
    float32 = np.zeros((5, 2), dtype=np.float32)
    real, fake = feature_pair(torch.ones(3, 2, dtype=torch.float64), float32)
    assert real.shape == (3, 2) and fake.shape == (5, 2) and real.dtype == np.float64 and fake is float32
    assert as_matrix(torch.ones(2, 2, dtype=torch.bfloat16), "x").dtype == np.float64  # numpy has no bfloat16


def test_a_nan_far_down_a_large_set_is_found():
    values = np.zeros((10_000, 3), dtype=np.float32)  # checked a block of rows at a time
    values[9_999, 2] = np.nan
    with pytest.raises(ValueError, match="^fake contains NaN or infinite values$"):
        as_matrix(values, "fake")


def test_feature_pair():
    with pytest.raises(ValueError, match="^real and fake features differ in width: 2 vs 3$"):
        feature_pair(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="^fake contains NaN"):
        feature_pair(np.zeros((3, 2)), np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="^real must be a"):
        feature_pair(np.zeros(3), np.zeros((3, 2)))
