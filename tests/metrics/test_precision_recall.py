"""Improved precision/recall against a full-distance-matrix reference, hand-made cases and batch sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from wganlab.metrics.precision_recall import precision_recall


def reference_precision_recall(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    def radii(points: np.ndarray) -> np.ndarray:
        d = cdist(points, points)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    inside_real = (cdist(fake, real) <= radii(real)[None, :]).any(axis=1)
    inside_fake = (cdist(real, fake) <= radii(fake)[None, :]).any(axis=1)
    return float(inside_real.mean()), float(inside_fake.mean())


def test_identical_sets_score_one() -> None:
    x = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    assert precision_recall(x, x.clone()) == (1.0, 1.0)


def test_far_apart_clusters_score_zero() -> None:
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(200, 4, generator=g), torch.randn(150, 4, generator=g) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_hand_made_one_dimensional_case() -> None:
    # k = 1. Real 0, 1, 2, 7, 8: radii all 1 -> manifold [-1, 3] U [6, 9].
    # Fake 3, 3.5, 9, 10: radii 0.5, 0.5, 1, 1 -> manifold [2.5, 4] U [8, 11].
    # precision: 3 and 9 lie on a real ball's boundary (inside), 3.5 and 10 do not -> 2/4.
    # recall: only 8 (on the boundary of 9's ball); 2 is 1 > 0.5 from 3 -> 1/5.
    real = torch.tensor([[0.0], [1.0], [2.0], [7.0], [8.0]])
    fake = torch.tensor([[3.0], [3.5], [9.0], [10.0]])
    assert precision_recall(real, fake, k=1) == (0.5, 0.2)
    # k = 2: real radii 2, 1, 2, 5, 6 cover [-2, 14]; fake radii 6, 5.5, 5.5, 6.5 cover [-3, 16.5].
    assert precision_recall(real, fake, k=2) == (1.0, 1.0)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_brute_force_reference(k: int) -> None:
    g = torch.Generator().manual_seed(k)
    real = torch.randn(400, 6, generator=g, dtype=torch.float64)
    fake = 0.7 * torch.randn(350, 6, generator=g, dtype=torch.float64) + 0.8
    expected = reference_precision_recall(real.numpy(), fake.numpy(), k)
    assert 0.05 < expected[0] < 0.95 and 0.05 < expected[1] < 0.95
    assert precision_recall(real, fake, k=k) == expected


@pytest.mark.equivalence
def test_independent_of_batch_size() -> None:
    g = torch.Generator().manual_seed(7)
    real = torch.randn(500, 10, generator=g)
    fake = torch.randn(450, 10, generator=g) * 0.8 + 0.2
    results = {precision_recall(real, fake, batch_size=b) for b in (7, 64, 1000)}
    assert len(results) == 1


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="more than k"):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2), k=3)
    with pytest.raises(ValueError, match="width"):
        precision_recall(torch.zeros(10, 2), torch.zeros(10, 3))


def test_float32_features_are_measured_as_their_float64_values() -> None:
    """Inception's float32 rows are kept as they are; each block is widened exactly, so the numbers are those of the
    same values held in float64."""
    g = torch.Generator().manual_seed(3)
    real = torch.randn(300, 8, generator=g)
    fake = torch.randn(280, 8, generator=g) * 0.9 + 0.1
    assert precision_recall(real, fake) == precision_recall(real.double(), fake.double())
    assert precision_recall(real.numpy(), fake, batch_size=50) == precision_recall(real.double(), fake.double())
