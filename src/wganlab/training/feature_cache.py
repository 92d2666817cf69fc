"""Features of the real data, cached on disk (~/.cache/wganlab, or $WGANLAB_CACHE) so each evaluation of a run,
and every run on the same data, extracts them once. The cache is an optimisation: a damaged entry is
recomputed, an unwritable folder is no error.
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


def images_digest(images: Tensor) -> str:
    """A digest of a tensor of images (dtype, shape and bytes) for `cached_features`."""
    digest = hashlib.sha256(f"{images.dtype}{tuple(images.shape)}".encode())
    digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_features(
    images_key: str, count: int, extractor: FeatureExtractor, compute: Callable[[], FeatureSet]
) -> FeatureSet:
    """compute(), read from the cache when it holds it: keyed by a digest of the `count` images (`images_key`),
    the extractor's name and its weights."""
    digest = hashlib.sha256(f"{images_key}:{extractor.name}:{extractor.weights_id}:{count}".encode())
    path = cache_folder() / "real-features" / f"{digest.hexdigest()[:24]}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                probabilities = saved["probabilities"] if "probabilities" in saved else None
                return FeatureSet(saved["features"], probabilities)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache entry is recomputed and rewritten
    features = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"features": features.features}
        if features.probabilities is not None:
            arrays["probabilities"] = features.probabilities
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temporary, **arrays)
        os.replace(temporary, path)
    except OSError:
        pass  # the cache is an optimisation: an unwritable cache folder is not an error
    return features
