"""Features of the real data, cached on disk (~/.cache/wganlab, or $WGANLAB_CACHE) so each evaluation of a run,
and every run on the same data, extracts them once. The cache is an optimisation, and never trusted blindly: an
entry carries the shapes and dtypes it promises and a digest of its content (integrity.content_digest), checked
with its statistics' soundness (metrics/soundness.py) whenever it is read. An entry that fails (changed values,
another shape, NaN, a truncated file) is reported in one line and extracted again; a cache that cannot be written
is skipped with one line, and the run goes on from memory.

An entry keeps every feature row (in the extractor's precision) and their float64 mean and covariance, so a
run that needs only FID's statistics reads them without recomputing from the rows.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from torch import Tensor

from wganlab.files import cache_folder, write_atomic
from wganlab.integrity import content_digest
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.images import FeatureSet
from wganlab.metrics.soundness import statistics_problem

LAYOUT = 3  # 3: with an 'about' record (shapes, dtypes, digest); layouts 1 and 2, without one, are not read
ARRAYS = ("features", "mean", "covariance")


def images_digest(images: Tensor) -> str:
    """A digest of a tensor of images (dtype, shape and bytes) for `cached_features`."""
    digest = hashlib.sha256(f"{images.dtype}{tuple(images.shape)}".encode())
    digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_features(
    images_key: str, count: int, dims: int, extractor: FeatureExtractor, compute: Callable[[], FeatureSet]
) -> FeatureSet:
    """compute() (every feature row, [count, dims], and their statistics), read from the cache when it holds it
    soundly: keyed by a digest of the `count` images (`images_key`), the extractor's name and its weights."""
    key = f"{images_key}:{extractor.name}:{extractor.weights_id}:{count}:layout{LAYOUT}"
    path = cache_folder() / "real-features" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    if path.is_file():
        found = _read(path, count, dims)
        if isinstance(found, FeatureSet):
            return found
        print(f"the feature cache entry {path} {found}; extracting the real features again", file=sys.stderr)
    features = compute()
    _write(path, features)
    return features


def _read(path: Path, count: int, dims: int) -> FeatureSet | str:
    """The entry's features, or what is wrong with it."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            about = json.loads(str(saved["about"][()]))
            arrays = {name: saved[name] for name in ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        return f"cannot be read ({type(error).__name__}: {error})"
    features, mean, covariance = (arrays[name] for name in ARRAYS)
    promised = {"features": [count, dims], "mean": [dims], "covariance": [dims, dims]}
    if not isinstance(about, dict) or about.get("shapes") != promised:
        return f"does not promise the shapes {promised} this evaluation needs"
    shapes = {name: list(array.shape) for name, array in arrays.items()}
    dtypes = {name: array.dtype.str for name, array in arrays.items()}
    if shapes != promised or dtypes != about.get("dtypes"):
        return f"holds arrays of shapes {shapes} and dtypes {dtypes}, not the {promised} and {about.get('dtypes')} " \
               "it promises"
    if content_digest(features, mean, covariance) != about.get("digest"):
        return "has changed since it was written (its digest does not match)"
    if (problem := statistics_problem(mean, covariance, features, count)) is not None:
        return f"is unsound: {problem}"
    return FeatureSet(features, None, (mean, covariance))


def _write(path: Path, features: FeatureSet) -> None:
    """Keep `features` as a cache entry, atomically; a cache that cannot be written is skipped with one line."""
    mean, covariance = features.gaussian()
    arrays = {"features": features.all_features("the feature cache"), "mean": mean, "covariance": covariance}
    about = {
        "shapes": {name: list(array.shape) for name, array in arrays.items()},
        "dtypes": {name: array.dtype.str for name, array in arrays.items()},
        "digest": content_digest(*(arrays[name] for name in ARRAYS)),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda stream: np.savez(stream, about=np.array(json.dumps(about)), **arrays))
    except OSError as error:
        print(f"cannot write the feature cache in {path.parent} ({error.strerror or error}); going on "
              "without it (set WGANLAB_CACHE to a writable folder to keep the features)", file=sys.stderr)
