"""Inception Score against the original numpy formula and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wganlab.metrics.inception_score import inception_score, inception_score_from_logits


def reference_is(preds: np.ndarray, splits: int) -> tuple[float, float]:
    # Salimans et al.'s improved-gan code, verbatim slicing: (i * N) // splits.
    scores = []
    for i in range(splits):
        part = preds[(i * preds.shape[0] // splits) : ((i + 1) * preds.shape[0] // splits), :]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        kl = np.mean(np.sum(kl, 1))
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def random_probabilities(n: int, k: int, seed: int) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(scale=3.0, size=(n, k))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("n, splits", [(1000, 10), (1003, 10), (257, 3), (50, 1)])
def test_matches_original_formula(n: int, splits: int) -> None:
    probs = random_probabilities(n, 20, seed=n)
    expected = reference_is(probs, splits)
    np.testing.assert_allclose(inception_score(torch.from_numpy(probs), splits), expected, rtol=1e-6)


def test_from_logits_matches_softmax() -> None:
    logits = torch.randn(300, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float32) * 4
    probs = torch.softmax(logits.double(), dim=1)
    np.testing.assert_allclose(inception_score_from_logits(logits, 5), inception_score(probs, 5), rtol=1e-12)


def test_uniform_predictions_score_one() -> None:
    mean, std = inception_score(torch.full((100, 7), 1 / 7), splits=10)
    np.testing.assert_allclose([mean, std], [1.0, 0.0], atol=1e-12)


def test_one_hot_spread_over_k_classes_scores_k() -> None:
    k = 8
    probs = torch.eye(k).repeat(25, 1)  # [200, 8]
    # each split of 40 rows holds every class 5 times, so p(y) is uniform and IS = K exactly
    mean, std = inception_score(probs, splits=5)
    np.testing.assert_allclose([mean, std], [float(k), 0.0], rtol=1e-12, atol=1e-12)


def test_rejects_non_probabilities() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(torch.randn(20, 4).abs(), splits=2)
    with pytest.raises(ValueError, match="non-negative"):
        inception_score(torch.tensor([[1.5, -0.5], [0.5, 0.5]]), splits=1)
    with pytest.raises(ValueError, match="splits"):
        inception_score(torch.full((5, 2), 0.5), splits=10)
