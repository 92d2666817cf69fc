"""Features of the real data, cached on disk (~/.cache/wganlab, or $WGANLAB_CACHE) so each evaluation of a run,
and every run on the same data, extracts them once. The cache is an optimisation: a damaged entry is
recomputed, an unwritable folder is no error.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from torch import Tensor

from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.images import FeatureSet


def cache_folder() -> Path:
    return Path(os.environ.get("WGANLAB_CACHE", Path.home() / ".cache" / "wganlab"))


def cached_features(
    images: Tensor, extractor: FeatureExtractor, compute: Callable[[Tensor], FeatureSet]
) -> FeatureSet:
    """compute(images), read from the cache when it holds them: keyed by a hash of the images, the extractor's
    name and weights and the sample count."""
    digest = hashlib.sha256(images.numpy().tobytes())
    digest.update(f"{extractor.name}:{extractor.weights_id}:{len(images)}".encode())
    path = cache_folder() / "real-features" / f"{digest.hexdigest()[:24]}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                probabilities = saved["probabilities"] if "probabilities" in saved else None
                return FeatureSet(saved["features"], probabilities)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache entry is recomputed and rewritten
    features = compute(images)
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
