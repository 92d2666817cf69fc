"""The exact optimal critic between two point sets: the Kantorovich potential f* of W1, from the dual of the exact
optimal-transport problem, and what a trained critic captures of it.

For real points x_i (weights 1/N) and fake points y_j (weights 1/M), POT's network simplex solves the linear
programme of W1 with cost |x - y| and returns the coupling and the dual variables (u_i, v_j): u_i + v_j <= |x_i - y_j|,
sum_i u_i / N + sum_j v_j / M = W1. Their c-transform

    f*(x) = min_j ( |x - y_j| - v_j )

is defined everywhere, exactly 1-Lipschitz (a minimum of 1-Lipschitz functions), at least u_i on the real points,
and -v_j on the fake ones for an optimal v; so E_real f* - E_fake f* = W1 (Villani 2009, Thm 5.10). It scores real
points high, as wganlab's critics do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ot
import torch
from scipy.spatial.distance import cdist
from scipy.stats import pearsonr, spearmanr
from torch import Tensor

_MAX_ITERATIONS = 1_000_000  # as exact_w1's: a run that hits the cap is not optimal, and raises


@dataclass(frozen=True)
class OptimalCritic:
    """f* between `real` and `fake`, the W1 it certifies, and the optimal coupling ([N, M], rows sum to 1/N)."""

    real: np.ndarray  # [N, d] float64
    fake: np.ndarray  # [M, d] float64
    fake_potential: np.ndarray  # [M]: v_j, the dual variables of the fake points
    w1: float  # the primal optimum (POT's emd cost)
    coupling: np.ndarray  # [N, M]

    def __call__(self, points: Tensor | np.ndarray) -> np.ndarray:
        """f*(x) = min_j (|x - y_j| - v_j) at each of `points` [K, d]: [K] float64."""
        values = np.asarray(points.detach().cpu().double() if isinstance(points, Tensor) else points, np.float64)
        return (cdist(values, self.fake) - self.fake_potential[None, :]).min(axis=1)

    @property
    def estimate(self) -> float:
        """E_real f* - E_fake f*: equals `w1` up to the solver's tolerance."""
        return float(self(self.real).mean() - self(self.fake).mean())


def optimal_critic(real: Tensor, fake: Tensor) -> OptimalCritic:
    """Solve W1 between two empirical sets exactly (uniform weights, Euclidean cost) and keep its potential."""
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or not len(real) or not len(fake):
        raise ValueError(f"need real [N, d] and fake [M, d], got {tuple(real.shape)} and {tuple(fake.shape)}")
    xs, ys = (points.detach().cpu().double().numpy() for points in (real, fake))
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("the optimal critic needs finite points")
    cost = cdist(xs, ys)  # [N, M]
    a, b = np.full(len(xs), 1.0 / len(xs)), np.full(len(ys), 1.0 / len(ys))
    coupling, log = ot.emd(a, b, cost, numItermax=_MAX_ITERATIONS, log=True)
    if log["warning"] is not None:
        raise RuntimeError(f"the optimal transport did not converge: {log['warning']}")
    return OptimalCritic(xs, ys, np.asarray(log["v"], np.float64), float(log["cost"]), coupling)


@dataclass(frozen=True)
class Agreement:
    """How a critic D compares with f* on given points."""

    rank_correlation: float  # Spearman's rho between D and f*
    linear_correlation: float  # Pearson's r
    w1_share: float  # (E_real D - E_fake D) / (s W1), s = D's largest slope along the optimal coupling's segments
    segment_gradient_norms: np.ndarray  # |grad_x D| at points on the coupling's segments (f*'s are all 1)


def agreement(critic: torch.nn.Module, optimal: OptimalCritic, points: Tensor, *, segment_points: int = 256,
              seed: int = 0) -> Agreement:
    """Compare `critic` with f*: its correlations with f* on `points` (held-out points, e.g. fresh real and fake
    samples), the share of W1 its estimate captures once its scale is removed, and its input-gradient norms at
    random points on the segments x_i -> y_j the optimal coupling moves mass along (f* has slope 1 there)."""
    device = next(critic.parameters()).device
    dtype = next(critic.parameters()).dtype
    with torch.no_grad():
        scores = critic(points.to(device, dtype)).reshape(-1).double().cpu().numpy()
    target = optimal(points)
    rank = float(spearmanr(scores, target).statistic)
    linear = float(pearsonr(scores, target).statistic)
    rng = np.random.default_rng(seed)
    pairs = np.argwhere(optimal.coupling > 0)  # [P, 2] (i, j) with mass
    chosen = pairs[rng.integers(len(pairs), size=segment_points)]
    t = rng.random((segment_points, 1))
    along = t * optimal.real[chosen[:, 0]] + (1 - t) * optimal.fake[chosen[:, 1]]  # [S, d]
    inputs = torch.tensor(along, dtype=dtype, device=device, requires_grad=True)
    with torch.enable_grad():
        (grads,) = torch.autograd.grad(critic(inputs).sum(), inputs)
    norms = grads.double().norm(dim=1).cpu().numpy()
    with torch.no_grad():
        real_scores = critic(torch.tensor(optimal.real, dtype=dtype, device=device)).double().mean()
        fake_scores = critic(torch.tensor(optimal.fake, dtype=dtype, device=device)).double().mean()
    slope = float(norms.max()) if len(norms) else 0.0
    share = float(real_scores - fake_scores) / (slope * optimal.w1) if slope > 0 and optimal.w1 > 0 else 0.0
    return Agreement(rank, linear, share, norms)
