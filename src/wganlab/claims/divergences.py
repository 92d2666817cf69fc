"""Closed-form distances between the parallel lines of WGAN Example 1: P_0 = law of (0, Z), P_theta = law of (theta, Z).

With Z ~ U[0, 1] the two measures live on disjoint vertical segments for every theta != 0, so every divergence
that compares densities saturates while the earth mover's distance moves with theta (Arjovsky et al. 2017, Ex. 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ParallelLinesDistances:
    """W1, JS, KL and TV between P_0 and P_theta (natural logarithms)."""

    wasserstein: float
    jensen_shannon: float
    kullback_leibler: float
    total_variation: float


def parallel_lines_distances(theta: float) -> ParallelLinesDistances:
    """W1 = |theta|; JS = log 2, KL = +inf, TV = 1 for theta != 0; all 0 at theta = 0 (WGAN Example 1).

    W1: moving every point (0, z) to (theta, z) costs |theta|, and no plan is cheaper since every path
    crosses the gap. The others compare densities on disjoint supports: JS = (KL(P_0 || M) + KL(P_theta || M)) / 2
    with M the mixture, each term log 2.
    """
    if theta == 0:
        return ParallelLinesDistances(0.0, 0.0, 0.0, 0.0)
    return ParallelLinesDistances(abs(theta), math.log(2.0), math.inf, 1.0)
