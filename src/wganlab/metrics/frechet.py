"""Frechet Inception Distance: Gaussian statistics of features and the Frechet distance between them."""

from __future__ import annotations

import numpy as np

from wganlab.metrics.arrays import Features, as_float64_matrix, feature_pair


class GaussianStatistics:
    """Running float64 sums for the mean and covariance of features: update / compute / reset.

    Sums are taken around a shift (the first sample seen), so the covariance does not lose digits to
    cancellation when the mean is large next to the spread; the shift does not depend on batching.
    """

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim = dim
        self.reset()

    def reset(self) -> None:
        self.count: int = 0
        self._shift: np.ndarray | None = None  # [D]
        self._sum = np.zeros(self.dim, dtype=np.float64)  # [D], sum of (x - shift)
        self._outer = np.zeros((self.dim, self.dim), dtype=np.float64)  # [D, D], sum of (x - s)(x - s)^T

    def update(self, features: Features) -> None:
        x = as_float64_matrix(features, "features")  # [n, D]
        if x.shape[1] != self.dim:
            raise ValueError(f"expected features with {self.dim} columns, got {x.shape[1]}")
        if len(x) == 0:
            return
        if self._shift is None:
            self._shift = x[0].copy()
        centred = x - self._shift  # [n, D]
        self._sum += centred.sum(axis=0)
        self._outer += centred.T @ centred
        self.count += len(x)

    def merge(self, other: GaussianStatistics) -> None:
        """Add another set's sums (the same width): as if its features had been given to `update` here."""
        if other.dim != self.dim:
            raise ValueError(f"cannot merge statistics of width {other.dim} into width {self.dim}")
        if other._shift is None:
            return
        if self._shift is None:
            self._shift = other._shift.copy()
        offset = other._shift - self._shift  # [D]: other's sums re-centred on this shift
        self._sum += other._sum + other.count * offset
        self._outer += other._outer + np.outer(offset, other._sum) + np.outer(other._sum, offset)
        self._outer += other.count * np.outer(offset, offset)
        self.count += other.count

    def compute(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean [D], covariance [D, D]); covariance with the unbiased n - 1 estimator."""
        if self.count < 2:
            raise ValueError(f"need at least 2 samples for a covariance, got {self.count}")
        assert self._shift is not None
        n = self.count
        mean_offset = self._sum / n  # [D]
        cov = (self._outer - n * np.outer(mean_offset, mean_offset)) / (n - 1)
        cov = (cov + cov.T) / 2  # exact symmetry; the sums are symmetric up to rounding
        return self._shift + mean_offset, cov


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix; rounding-level negative eigenvalues -> 0."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


def frechet_distance(mean1: np.ndarray, cov1: np.ndarray, mean2: np.ndarray, cov2: np.ndarray) -> float:
    """d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^{1/2}) (Heusel et al. 2017, FID).

    tr((S1 S2)^{1/2}) is the sum of sqrt(eigenvalues) of the symmetric PSD matrix A S2 A, A = S1^{1/2}
    (S1 S2 is similar to it), so no complex sqrtm and singular covariances are fine. The value is
    returned unclipped: identical statistics give 0 up to rounding, possibly a tiny negative.
    """
    mu1, mu2 = np.asarray(mean1, dtype=np.float64), np.asarray(mean2, dtype=np.float64)
    s1, s2 = np.asarray(cov1, dtype=np.float64), np.asarray(cov2, dtype=np.float64)
    dim = mu1.shape[0] if mu1.ndim == 1 else -1
    if mu1.shape != (dim,) or mu2.shape != (dim,) or s1.shape != (dim, dim) or s2.shape != (dim, dim):
        raise ValueError(
            f"need means [D] and covariances [D, D] of one D, got {mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}"
        )
    root1 = _psd_sqrt(s1)
    inner = root1 @ s2 @ root1
    inner = (inner + inner.T) / 2
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(inner), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt)


def fid_from_features(real: Features, fake: Features) -> float:
    """Frechet distance between Gaussians fitted (n - 1 covariance) to real [N, D] and fake [M, D]."""
    real_array, fake_array = feature_pair(real, fake)  # [N, D], [M, D]
    stats = []
    for array in (real_array, fake_array):
        gaussian = GaussianStatistics(array.shape[1])
        gaussian.update(array)
        stats.append(gaussian.compute())
    (mean1, cov1), (mean2, cov2) = stats
    return frechet_distance(mean1, cov1, mean2, cov2)
