"""Metrics for one's own loop: the same numbers as the recorded metrics, whatever the batching; clear refusals."""

from __future__ import annotations

import pytest
import torch

from wganlab.data.images import load_images
from wganlab.errors import UserError
from wganlab.metrics.features import make_extractor
from wganlab.metrics.frechet import fid_from_features
from wganlab.metrics.images import FeatureSet, image_metrics
from wganlab.metrics.streaming import FID, KID, InceptionScore, PrecisionRecall


def features(seed: int, count: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(count, 6, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def test_fid_of_features_in_batches_is_the_fid_of_the_whole_sets():
    real, fake = features(0, 300), features(1, 200, shift=0.5)
    fid = FID()
    for chunk in real.split(70):
        fid.update(chunk, real=True)
    for chunk in fake.float().split(33):  # any float dtype
        fid.update(chunk, real=False)
    assert fid.compute() == pytest.approx(fid_from_features(real, fake.float().double()), rel=1e-10)
    fid.reset()
    with pytest.raises(UserError, match="both real and generated"):
        fid.compute()


def test_image_metrics_on_images_equal_the_recorded_protocol():
    images = load_images("digits").images  # [1437, 1, 8, 8]
    real, fake = images[:700], images[700:1200]
    extractor = make_extractor("digits-classifier")
    fid, kid, pr, score = (metric(extractor="digits-classifier") for metric in (FID, KID, PrecisionRecall,
                                                                                   InceptionScore))
    for metric in (fid, kid, pr, score):
        metric.update(real, real=True)
        for chunk in fake.split(128):
            metric.update(chunk, real=False)
    (real_f, _), (fake_f, fake_p) = extractor.extract(real), extractor.extract(fake)
    recorded = image_metrics(
        FeatureSet(fake_f.numpy(), fake_p.numpy()[:, None, :]), FeatureSet(real_f.numpy(), None),
        ("fid", "kid", "pr", "is"),
    )
    assert fid.compute() == pytest.approx(recorded["fid_500"], rel=1e-9)
    assert kid.compute() == pytest.approx((recorded["kid_500"], recorded["kid_std_500"]), rel=1e-9)
    assert pr.compute() == pytest.approx((recorded["precision_500"], recorded["recall_500"]))
    assert score.compute() == pytest.approx((recorded["is_500"], recorded["is_std_500"]), rel=1e-9)


def test_images_need_an_extractor_and_features_need_two_dimensions():
    with pytest.raises(UserError, match="need an extractor"):
        FID().update(torch.zeros(2, 1, 8, 8), real=True)
    with pytest.raises(UserError, match=r"images \[N, C, H, W\] or features \[N, D\]"):
        KID().update(torch.zeros(3), real=True)
    with pytest.raises(UserError, match="unknown extractor 'inceptoin'"):
        FID(extractor="inceptoin").update(torch.zeros(2, 1, 8, 8), real=True)
    with pytest.raises(UserError, match="class probabilities"):
        score = InceptionScore()
        score.update(features(0, 20), real=False)
        score.compute()


def test_kid_and_precision_recall_need_both_sides():
    for metric in (KID(), PrecisionRecall()):
        metric.update(features(0, 20), real=True)
        with pytest.raises(UserError, match="both real and generated"):
            metric.compute()
