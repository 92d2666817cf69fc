"""Inception Score from classifier probabilities or logits, split as in the original code."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax, xlogy
from torch import Tensor

from wganlab.metrics.arrays import as_float64_matrix

Predictions = Tensor | np.ndarray

# Rows must sum to 1 within this; looser than float32 softmax rounding, tight enough to catch logits.
_SUM_TOLERANCE = 1e-4


def inception_score(probabilities: Predictions, splits: int = 10) -> tuple[float, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))) per split, p(y) the split's mean; (mean, std ddof=0) over splits.

    Salimans et al. 2016. Split k is rows [k N // splits, (k + 1) N // splits), exactly the original
    code's slicing: contiguous, every row used, sizes differ by at most one. 0 log 0 is taken as 0.
    """
    probs = as_float64_matrix(probabilities, "probabilities")  # [N, K]
    if (probs < 0).any():
        raise ValueError("probabilities must be non-negative (pass logits to inception_score_from_logits)")
    worst = np.abs(probs.sum(axis=1) - 1.0).max(initial=0.0)
    if worst > _SUM_TOLERANCE:
        raise ValueError(f"probability rows must sum to 1 within {_SUM_TOLERANCE}, worst is off by {worst:.3g}")
    n = len(probs)
    if splits < 1 or n < splits:
        raise ValueError(f"need 1 <= splits <= N, got splits={splits} for N={n}")
    scores = np.empty(splits, dtype=np.float64)
    for k in range(splits):
        part = probs[k * n // splits : (k + 1) * n // splits]  # [n_k, K]
        marginal = part.mean(axis=0, keepdims=True)  # [1, K]
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1)  # [n_k]
        scores[k] = np.exp(kl.mean())
    return float(scores.mean()), float(scores.std())


def inception_score_from_logits(logits: Predictions, splits: int = 10) -> tuple[float, float]:
    """Inception Score of softmax(logits) [N, K], the softmax taken in float64."""
    return inception_score(softmax(as_float64_matrix(logits, "logits"), axis=1), splits)
