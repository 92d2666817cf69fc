"""The composition of image metrics: class modes, joint probabilities of stacked data, metric names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wganlab.metrics.images import (
    IMAGE_METRICS,
    FeatureSet,
    class_modes,
    image_metrics,
    joint_class,
    joint_probabilities,
)


def _one_hot(classes: list[list[int]], k: int = 10) -> np.ndarray:
    array = np.asarray(classes)
    out = np.zeros((*array.shape, k))
    np.put_along_axis(out, array[..., None], 1.0, axis=-1)
    return out  # [N, copies, K]


def test_joint_class_reads_channels_as_digits():
    assert joint_class(_one_hot([[3, 0, 7], [9, 9, 9], [0, 0, 1]])).tolist() == [307, 999, 1]


def test_joint_probabilities_are_the_outer_product():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=(5, 2))  # [5, 2, 4]
    joint = joint_probabilities(p)
    assert joint.shape == (5, 16)
    np.testing.assert_allclose(joint.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(joint[:, 2 * 4 + 3], p[:, 0, 2] * p[:, 1, 3], rtol=1e-12)


def test_class_modes_counts_and_reverse_kl():
    modes, total, kl = class_modes(_one_hot([[1], [1], [2], [3]]))
    assert (modes, total) == (3, 10)
    p = np.array([0.5, 0.25, 0.25])
    assert kl == pytest.approx(float((p * np.log(p * 10)).sum()), rel=1e-12)
    modes, total, kl = class_modes(_one_hot([[c // 100, c // 10 % 10, c % 10] for c in range(1000)]))
    assert (modes, total) == (1000, 1000) and kl == pytest.approx(0.0, abs=1e-12)


def test_identical_sets_score_perfectly():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(300, 8))
    probabilities = _one_hot([[c % 10] for c in range(300)])
    same = FeatureSet(features, probabilities)
    metrics = image_metrics(same, same, ("fid", "kid", "pr", "is", "modes"))
    assert metrics["fid_300"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["precision_300"] == 1.0 and metrics["recall_300"] == 1.0
    assert metrics["is_300"] == pytest.approx(10.0, rel=1e-9)
    assert (metrics["modes_300"], metrics["total_modes"]) == (10.0, 10.0)
    assert math.isfinite(metrics["kid_300"])


def test_only_requested_metrics_are_computed():
    rng = np.random.default_rng(2)
    a, b = FeatureSet(rng.normal(size=(50, 4)), None), FeatureSet(rng.normal(size=(60, 4)), None)
    assert set(image_metrics(a, b, ("fid",))) == {"fid_50"}
    # without class probabilities there is no IS and no mode count, whatever is asked
    assert set(image_metrics(a, b, ("is", "modes"))) == set()


def test_keys_follow_the_table_order_and_skip_what_needs_probabilities():
    rng = np.random.default_rng(3)
    fake = FeatureSet(rng.normal(size=(40, 3)), _one_hot([[c % 10] for c in range(40)]))
    real = FeatureSet(rng.normal(size=(50, 3)), None)
    request = ("modes", "is", "pr", "kid", "fid")  # the reverse of the table
    assert list(IMAGE_METRICS) == ["fid", "kid", "pr", "is", "modes", "accuracy"]
    assert list(image_metrics(fake, real, request)) == [
        "fid_40", "kid_40", "kid_std_40", "precision_40", "recall_40",
        "is_40", "is_std_40", "modes_40", "total_modes", "reverse_kl_40",
    ]
    without = FeatureSet(fake.features, None)
    assert list(image_metrics(without, real, request)) == [
        "fid_40", "kid_40", "kid_std_40", "precision_40", "recall_40",
    ]
