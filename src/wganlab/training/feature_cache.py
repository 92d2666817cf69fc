"""Features of the real data, cached on disk (~/.cache/wganlab, or $WGANLAB_CACHE) so each evaluation of a run,
and every run on the same data, extracts them once. The cache is an optimisation: a damaged entry is
recomputed, an unwritable folder is no error.

An entry keeps every feature row (in the extractor's precision) and their float64 mean and covariance, so a
run that needs only FID's statistics reads them without recomputing from the rows.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable

import numpy as np
from torch import Tensor

from wganlab.files import cache_folder
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.images import FeatureSet

LAYOUT = 2  # entries hold features, mean and covariance (layout 1, float64 features and probabilities, is unread)


def images_digest(images: Tensor) -> str:
    """A digest of a tensor of images (dtype, shape and bytes) for `cached_features`."""
    digest = hashlib.sha256(f"{images.dtype}{tuple(images.shape)}".encode())
    digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_features(
    images_key: str, count: int, extractor: FeatureExtractor, compute: Callable[[], FeatureSet]
) -> FeatureSet:
    """compute() (every feature row and their statistics), read from the cache when it holds it: keyed by a digest
    of the `count` images (`images_key`), the extractor's name and its weights."""
    key = f"{images_key}:{extractor.name}:{extractor.weights_id}:{count}:layout{LAYOUT}"
    path = cache_folder() / "real-features" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as saved:
                return FeatureSet(saved["features"], None, (saved["mean"], saved["covariance"]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache entry is recomputed and rewritten
    features = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mean, covariance = features.gaussian()
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temporary, features=features.all_features("the feature cache"), mean=mean, covariance=covariance)
        os.replace(temporary, path)
    except OSError:
        pass  # the cache is an optimisation: an unwritable cache folder is not an error
    return features
