"""Improved precision and recall: k-nearest-neighbour manifolds of real and fake features."""

from __future__ import annotations

import numpy as np

from wganlab.metrics.arrays import Features, feature_pair


def _squared_distances(x: np.ndarray, y: np.ndarray, y_norms: np.ndarray) -> np.ndarray:
    """|x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 x_i.y_j for x [b, D], y [M, D] -> [b, M], clamped at 0."""
    x_norms = np.einsum("ij,ij->i", x, x)  # [b]
    return np.maximum(x_norms[:, None] + y_norms[None, :] - 2.0 * (x @ y.T), 0.0)


def _squared_radii(points: np.ndarray, k: int, batch_size: int) -> np.ndarray:
    """Squared distance from each point [N, D] to its k-th nearest neighbour in the set, itself excluded."""
    norms = np.einsum("ij,ij->i", points, points)  # [N]
    radii = np.empty(len(points), dtype=np.float64)
    for start in range(0, len(points), batch_size):
        rows = np.arange(start, min(start + batch_size, len(points)))
        distances = _squared_distances(points[rows], points, norms)  # [b, N]
        distances[np.arange(len(rows)), rows] = np.inf  # exclude the point itself (duplicates still count)
        radii[rows] = np.partition(distances, k - 1, axis=1)[:, k - 1]
    return radii


def _fraction_inside(queries: np.ndarray, points: np.ndarray, squared_radii: np.ndarray, batch_size: int) -> float:
    """Fraction of queries within distance radius_j of some manifold point j (boundary counts as inside)."""
    norms = np.einsum("ij,ij->i", points, points)  # [N]
    inside = 0
    for start in range(0, len(queries), batch_size):
        distances = _squared_distances(queries[start : start + batch_size], points, norms)  # [b, N]
        inside += int((distances <= squared_radii[None, :]).any(axis=1).sum())
    return inside / len(queries)


def precision_recall(real: Features, fake: Features, k: int = 3, batch_size: int = 1024) -> tuple[float, float]:
    """(precision, recall) of fake [M, D] against real [N, D] features (Kynkaanniemi et al. 2019).

    A set's manifold is the union of balls B(x, r_k(x)), r_k the distance to x's k-th nearest
    neighbour in the set (itself excluded). precision = P_fake(y in real manifold), recall =
    P_real(x in fake manifold). Distances in float64, in row batches of batch_size (memory O(b N)).
    """
    real_array, fake_array = feature_pair(real, fake)  # [N, D], [M, D]
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if min(len(real_array), len(fake_array)) <= k:
        raise ValueError(f"each set needs more than k={k} points, got {len(real_array)} real, {len(fake_array)} fake")
    real_radii = _squared_radii(real_array, k, batch_size)  # [N]
    fake_radii = _squared_radii(fake_array, k, batch_size)  # [M]
    precision = _fraction_inside(fake_array, real_array, real_radii, batch_size)
    recall = _fraction_inside(real_array, fake_array, fake_radii, batch_size)
    return precision, recall
