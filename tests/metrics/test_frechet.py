"""FID against an independent scipy.linalg.sqrtm reference, closed forms and batch-size invariance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm

from wganlab.metrics.frechet import GaussianStatistics, fid_from_features, frechet_distance


def correlated_gaussian(n: int, d: int, seed: int, shift: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mixing + shift + rng.normal(size=d)


def reference_fid(x: np.ndarray, y: np.ndarray) -> float:
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1, s2 = np.cov(x, rowvar=False, ddof=1), np.cov(y, rowvar=False, ddof=1)
    covmean = sqrtm(s1 @ s2).real
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@pytest.mark.parametrize("n, d", [(500, 16), (2000, 64)])
def test_matches_sqrtm_reference(n: int, d: int) -> None:
    x = correlated_gaussian(n, d, seed=0, shift=0.0)
    y = correlated_gaussian(n, d, seed=1, shift=0.5)
    expected = reference_fid(x, y)
    assert expected > 1.0
    np.testing.assert_allclose(
        fid_from_features(torch.from_numpy(x), torch.from_numpy(y)), expected, rtol=1e-6
    )
    # float32 tensors are promoted to float64 before any arithmetic
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    np.testing.assert_allclose(
        fid_from_features(torch.from_numpy(x32), torch.from_numpy(y32)),
        reference_fid(x32.astype(np.float64), y32.astype(np.float64)),
        rtol=1e-6,
    )


def test_set_with_itself_is_zero() -> None:
    x = torch.from_numpy(correlated_gaussian(500, 32, seed=2, shift=3.0))
    np.testing.assert_allclose(fid_from_features(x, x), 0.0, atol=1e-6, rtol=0)


def test_one_dimensional_closed_form() -> None:
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    m1, s1, m2, s2 = 0.3, 1.5, -1.2, 0.4
    value = frechet_distance(np.array([m1]), np.array([[s1**2]]), np.array([m2]), np.array([[s2**2]]))
    np.testing.assert_allclose(value, (m1 - m2) ** 2 + (s1 - s2) ** 2, rtol=1e-12)


def test_commuting_diagonal_closed_form() -> None:
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.0])  # singular S2 is allowed
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 2.0])
    expected = 9.0 + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()
    np.testing.assert_allclose(frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)), expected, rtol=1e-12)


@pytest.mark.equivalence
def test_statistics_match_numpy_for_any_batch_size() -> None:
    x = correlated_gaussian(2000, 24, seed=3, shift=100.0)  # a large mean tests cancellation
    y = correlated_gaussian(2000, 24, seed=4, shift=100.5)
    mean_ref, cov_ref = x.mean(axis=0), np.cov(x, rowvar=False, ddof=1)
    fid_ref = fid_from_features(x, y)
    for batch in (7, 64, 1000, 2000):
        stats = GaussianStatistics(24)
        for start in range(0, len(x), batch):
            stats.update(torch.from_numpy(x[start : start + batch]))
        assert stats.count == 2000
        mean, cov = stats.compute()
        np.testing.assert_allclose(mean, mean_ref, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(cov, cov_ref, rtol=1e-10, atol=1e-10)
        other = GaussianStatistics(24)
        other.update(y)
        np.testing.assert_allclose(frechet_distance(mean, cov, *other.compute()), fid_ref, rtol=1e-9)


def test_merged_statistics_equal_one_pass() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(100.0, 1.0, size=(200, 3))  # a mean large next to the spread: the shifts must line up
    one, first, second = GaussianStatistics(3), GaussianStatistics(3), GaussianStatistics(3)
    one.update(x)
    first.update(x[:80])
    second.update(x[80:])
    first.merge(second)
    first.merge(GaussianStatistics(3))  # an empty set changes nothing
    assert first.count == 200
    for a, b in zip(first.compute(), one.compute(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="width 2 into width 3"):
        first.merge(GaussianStatistics(2))


def test_reset_and_too_few_samples() -> None:
    stats = GaussianStatistics(3)
    with pytest.raises(ValueError, match="at least 2"):
        stats.compute()
    stats.update(torch.ones(1, 3))
    with pytest.raises(ValueError, match="at least 2"):
        stats.compute()
    stats.update(torch.full((5, 3), 50.0))
    stats.reset()
    assert stats.count == 0
    x = correlated_gaussian(40, 3, seed=5, shift=0.0)
    stats.update(x)
    mean, cov = stats.compute()
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(x, rowvar=False), rtol=1e-10, atol=1e-12)


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="columns"):
        GaussianStatistics(3).update(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="width"):
        fid_from_features(torch.zeros(4, 2), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="means"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
