"""A set's features taken batch by batch (metrics/summary.py): the same statistics, rows and probabilities as the
whole set at once, only what the metrics need kept, ranks' shares joined in order, and the batches an extractor
sees independent of how the images were chunked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wganlab.metrics.images import PROBABILITIES, ROWS, STATISTICS, gaussian
from wganlab.metrics.summary import FeatureSummary, needs_of, rebatch

EVERYTHING = frozenset({STATISTICS, ROWS, PROBABILITIES})


def _features(n: int, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = torch.from_numpy(rng.normal(3.0, 2.0, size=(n, 5)).astype(np.float32))  # Inception-like float32
    probabilities = rng.dirichlet(np.ones(4), size=(n, 2))  # [n, copies, K]
    return features, probabilities


def _summary(features: torch.Tensor, probabilities: np.ndarray, sizes: list[int], needs=EVERYTHING) -> FeatureSummary:
    summary = FeatureSummary(len(features), needs)
    start = 0
    for size in sizes:
        summary.update(features[start : start + size], probabilities[start : start + size])
        start += size
    return summary


def test_batches_give_the_whole_sets_statistics_rows_and_probabilities() -> None:
    features, probabilities = _features(300)
    result = _summary(features, probabilities, [7, 100, 1, 192]).result()
    assert result.features is not None and result.features.dtype == np.float32  # the extractor's precision
    np.testing.assert_array_equal(result.features, features.numpy())
    np.testing.assert_array_equal(result.probabilities, probabilities)
    for streamed, whole in zip(result.gaussian(), gaussian(features.double().numpy()), strict=True):
        np.testing.assert_allclose(streamed, whole, rtol=1e-12, atol=1e-12)  # float64 sums in another order
    assert result.count == 300


def test_only_what_the_metrics_need_is_kept() -> None:
    assert needs_of(["fid"]) == {STATISTICS} and needs_of(["kid", "pr"]) == {ROWS}
    assert needs_of(["is", "modes", "fid"]) == {PROBABILITIES, STATISTICS}
    features, probabilities = _features(50)
    only_fid = _summary(features, probabilities, [50], needs_of(["fid"])).result()
    assert only_fid.features is None and only_fid.probabilities is None and only_fid.count == 50
    assert only_fid.statistics is not None
    rows = _summary(features, probabilities, [20, 30], needs_of(["kid"])).result()
    assert rows.statistics is None and rows.probabilities is None and rows.features is not None


def test_an_extractor_without_classes_leaves_no_probabilities() -> None:
    features, _ = _features(10)
    summary = FeatureSummary(10, EVERYTHING)
    summary.update(features, None)
    assert summary.result().probabilities is None


def test_ranks_shares_joined_in_order_equal_one_summary() -> None:
    features, probabilities = _features(301)
    whole = _summary(features, probabilities, [301]).result()
    shares = [torch.arange(301).tensor_split(3)[rank] for rank in range(3)]
    parts = [_summary(features[rows], probabilities[rows.numpy()], [len(rows)]) for rows in shares]
    joined = FeatureSummary.joined(parts).result()
    np.testing.assert_array_equal(joined.features, whole.features)
    np.testing.assert_array_equal(joined.probabilities, whole.probabilities)
    for a, b in zip(joined.gaussian(), whole.gaussian(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_summary_must_be_given_exactly_its_count() -> None:
    features, probabilities = _features(10)
    summary = _summary(features, probabilities, [6])
    with pytest.raises(ValueError, match="was given 6"):
        summary.result()
    with pytest.raises(ValueError, match="was given 12"):
        summary.update(features[:6], probabilities[:6])


@pytest.mark.parametrize("sizes", [[500, 500, 203], [1203], [7] * 171 + [6], [256, 256, 1, 690]])
def test_rebatch_gives_the_same_batches_however_the_images_were_chunked(sizes: list[int]) -> None:
    images = torch.arange(1203.0).reshape(1203, 1, 1, 1)
    batches = list(rebatch(iter(images.split(sizes)), 256))
    assert [len(batch) for batch in batches] == [256] * 4 + [179]
    assert torch.equal(torch.cat(batches), images)
