"""Improved precision and recall: k-nearest-neighbour manifolds of real and fake features."""

from __future__ import annotations

import numpy as np

from wganlab.metrics.arrays import Features, feature_pair

PR_BLOCK = 1024  # points a side in a block of distances: float64 blocks of 8 MiB, whatever the sets' sizes


def _blocks(count: int, size: int) -> list[slice]:
    """Consecutive blocks of `size` rows (the last shorter), as slices: indexing with them is a view."""
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def _float64(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float64, copy=False)  # a float64 block as it is; float32 converted once


def _squared_norms(points: np.ndarray, batch_size: int) -> np.ndarray:
    """|x_i|^2 in float64 for points [N, D] of any float precision, a block at a time: [N]."""
    norms = np.empty(len(points), dtype=np.float64)
    for rows in _blocks(len(points), batch_size):
        block = _float64(points[rows])
        norms[rows] = np.einsum("ij,ij->i", block, block)
    return norms


def _squared_distances(x: np.ndarray, y: np.ndarray, x_norms: np.ndarray, y_norms: np.ndarray) -> np.ndarray:
    """|x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 x_i.y_j for x [b, D], y [c, D] (float64) -> [b, c], clamped at 0."""
    return np.maximum(x_norms[:, None] + y_norms[None, :] - 2.0 * (x @ y.T), 0.0)


def _squared_radii(points: np.ndarray, norms: np.ndarray, k: int, batch_size: int) -> np.ndarray:
    """Squared distance from each point [N, D] (squared norms [N]) to its k-th nearest neighbour in the set, itself
    excluded: the k smallest distances of each row kept as the blocks of columns go by (memory O(batch_size^2))."""
    radii = np.empty(len(points), dtype=np.float64)
    for rows in _blocks(len(points), batch_size):
        x = _float64(points[rows])
        nearest = np.full((len(x), k), np.inf)  # [b, k]: the k smallest so far
        for columns in _blocks(len(points), batch_size):
            distances = _squared_distances(x, _float64(points[columns]), norms[rows], norms[columns])
            if columns == rows:  # the block of the points themselves: each one's own distance is its diagonal
                np.fill_diagonal(distances, np.inf)  # (duplicates still count)
            nearest = np.partition(np.concatenate([nearest, distances], axis=1), k - 1, axis=1)[:, :k]
        radii[rows] = nearest.max(axis=1)
    return radii


def _fraction_inside(
    queries: np.ndarray, query_norms: np.ndarray, points: np.ndarray, norms: np.ndarray, squared_radii: np.ndarray,
    batch_size: int,
) -> float:
    """Fraction of queries within distance radius_j of some manifold point j (boundary counts as inside)."""
    inside = 0
    for rows in _blocks(len(queries), batch_size):
        x = _float64(queries[rows])
        covered = np.zeros(len(x), dtype=bool)
        for columns in _blocks(len(points), batch_size):
            distances = _squared_distances(x, _float64(points[columns]), query_norms[rows], norms[columns])
            covered |= (distances <= squared_radii[None, columns]).any(axis=1)
        inside += int(covered.sum())
    return inside / len(queries)


def precision_recall(
    real: Features, fake: Features, k: int = 3, batch_size: int = PR_BLOCK
) -> tuple[float, float]:
    """(precision, recall) of fake [M, D] against real [N, D] features (Kynkaanniemi et al. 2019).

    A set's manifold is the union of balls B(x, r_k(x)), r_k the distance to x's k-th nearest
    neighbour in the set (itself excluded). precision = P_fake(y in real manifold), recall =
    P_real(x in fake manifold). Distances in float64, in blocks of batch_size x batch_size points (memory
    O(batch_size^2) beside the features, which stay in their own precision).
    """
    real_array, fake_array = feature_pair(real, fake)  # [N, D], [M, D]
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if min(len(real_array), len(fake_array)) <= k:
        raise ValueError(f"each set needs more than k={k} points, got {len(real_array)} real, {len(fake_array)} fake")
    real_norms, fake_norms = _squared_norms(real_array, batch_size), _squared_norms(fake_array, batch_size)
    real_radii = _squared_radii(real_array, real_norms, k, batch_size)  # [N]
    fake_radii = _squared_radii(fake_array, fake_norms, k, batch_size)  # [M]
    precision = _fraction_inside(fake_array, fake_norms, real_array, real_norms, real_radii, batch_size)
    recall = _fraction_inside(real_array, real_norms, fake_array, fake_norms, fake_radii, batch_size)
    return precision, recall
