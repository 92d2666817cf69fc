"""Real-data features cached on disk under $WGANLAB_CACHE (every row and their float64 statistics): written once,
reused, recomputed when damaged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.training.conftest import config_with
from wganlab.data.images import load_images
from wganlab.files import cache_folder
from wganlab.metrics.images import FeatureSet
from wganlab.objectives.losses import mean_difference
from wganlab.training.evaluation import REAL, ImageEvaluator, build_evaluator
from wganlab.training.feature_cache import cached_features, images_digest

pytestmark = pytest.mark.usefixtures("feature_cache")


def cached(evaluator: ImageEvaluator, images: torch.Tensor) -> FeatureSet:
    return cached_features(images_digest(images), len(images), evaluator.extractor, lambda: computed(evaluator, images))


def computed(evaluator: ImageEvaluator, images: torch.Tensor) -> FeatureSet:
    return evaluator.summarise([images], len(images), REAL).result()


def _digits_evaluator() -> ImageEvaluator:
    evaluator = build_evaluator(config_with(**{"data.name": "digits"}), load_images("digits"), mean_difference)
    assert isinstance(evaluator, ImageEvaluator)
    return evaluator


def _assert_same(a: FeatureSet, b: FeatureSet) -> None:
    assert a.features is not None and b.features is not None
    assert_close(torch.from_numpy(a.features), torch.from_numpy(b.features), rtol=0, atol=0)
    for x, y in zip(a.gaussian(), b.gaussian(), strict=True):
        assert_close(torch.from_numpy(x), torch.from_numpy(y), rtol=0, atol=0)


def test_cached_features_are_written_under_wganlab_cache_and_reused(feature_cache: Path) -> None:
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:50]
    first = cached(evaluator, images)
    assert cache_folder() == feature_cache
    (path,) = (feature_cache / "real-features").iterdir()  # one entry, no temporary file left behind
    assert path.suffix == ".npz"
    _assert_same(first, computed(evaluator, images))
    assert first.features is not None and first.features.shape == (50, 64) and first.count == 50
    assert first.gaussian()[1].shape == (64, 64)

    # a second call reads the file: replace its contents and the replacement comes back
    marker = FeatureSet(np.full((50, 64), 7.0), None, (np.full(64, 3.0), np.eye(64)))
    np.savez(path, features=marker.features, mean=np.full(64, 3.0), covariance=np.eye(64))
    _assert_same(cached(evaluator, images), marker)

    # other images are another entry
    cached(evaluator, evaluator.dataset.images[:20])
    assert len(list((feature_cache / "real-features").iterdir())) == 2


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "pickle-like",
        "truncated",  # np.load raises zipfile.BadZipFile
        "empty",  # np.load raises EOFError
    ],
)
def test_a_damaged_cache_file_is_recomputed_and_rewritten(feature_cache: Path, damage: str) -> None:
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:30]
    fresh = cached(evaluator, images)
    (path,) = (feature_cache / "real-features").iterdir()
    good = path.read_bytes()
    damaged = {
        "garbage": b"not an npz file",
        "pickle-like": good[100:],
        "truncated": good[: len(good) // 2],
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    _assert_same(cached(evaluator, images), fresh)
    with np.load(path) as saved:
        _assert_same(FeatureSet(saved["features"], None, (saved["mean"], saved["covariance"])), fresh)


def test_a_cache_file_without_features_is_recomputed(feature_cache: Path) -> None:
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:30]
    fresh = cached(evaluator, images)
    (path,) = (feature_cache / "real-features").iterdir()
    np.savez(path, something_else=np.zeros(3))
    _assert_same(cached(evaluator, images), fresh)


def test_an_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("WGANLAB_CACHE", str(blocker / "cache"))  # a folder cannot be made under a file
    evaluator = _digits_evaluator()
    images = evaluator.dataset.images[:10]
    _assert_same(cached(evaluator, images), computed(evaluator, images))


def test_the_cache_folder_defaults_to_the_home_cache(monkeypatch) -> None:
    monkeypatch.delenv("WGANLAB_CACHE")
    assert cache_folder() == Path.home() / ".cache" / "wganlab"
