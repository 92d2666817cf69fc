"""Closed-form distances between the parallel lines of WGAN Example 1."""

from __future__ import annotations

import math

import pytest

from wganlab.claims.divergences import ParallelLinesDistances, parallel_lines_distances


def test_identical_lines_are_at_distance_zero():
    assert parallel_lines_distances(0.0) == ParallelLinesDistances(0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("theta", [-1.0, -0.3, 1e-9, 0.3, 2.0])
def test_distinct_lines_saturate_every_divergence_but_w1(theta):
    distances = parallel_lines_distances(theta)
    assert distances.wasserstein == abs(theta)
    assert distances.jensen_shannon == math.log(2.0)
    assert distances.kullback_leibler == math.inf
    assert distances.total_variation == 1.0
