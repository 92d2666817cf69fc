"""Features of the real data, cached on disk (~/.cache/wganlab, or $WGANLAB_CACHE) so each evaluation of a run,
and every run on the same data, extracts them once. The cache is an optimisation, and never trusted blindly: each
array of an entry carries its own digest (integrity.content_digest: dtype, shape and bytes), checked with the
shapes this evaluation needs and the statistics' soundness (metrics/soundness.py) whenever it is read. An entry
that fails (a changed value, another shape or dtype, NaN, a truncated file) is reported in one line and extracted
again; a cache that cannot be written is skipped with one line, and the run goes on from memory.

An entry keeps the features' float64 mean and covariance (all FID needs) and, once a run has needed them (KID,
precision/recall, a `stats --features` reference), every feature row in the extractor's precision. A run that
needs only the statistics reads, checks and holds only them; one that needs rows an entry lacks extracts again and
keeps them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from wganlab.files import NPZ_DAMAGE, cache_folder, write_atomic
from wganlab.integrity import content_digest
from wganlab.metrics.extractor import FeatureExtractor
from wganlab.metrics.images import ROWS, STATISTICS, FeatureSet, read_stored

# 3: one digest of all arrays, their shapes and dtypes; 4: a digest of each array, the rows optional. An entry is
# found by its layout (it is in the key), so one of an earlier layout is never read
LAYOUT = 4
STATISTICS_ONLY = frozenset({STATISTICS})
WITH_ROWS = frozenset({STATISTICS, ROWS})


def cached_features(images_key: str, count: int, dims: int, extractor: FeatureExtractor, rows: bool,
                    compute: Callable[[frozenset[str]], FeatureSet]) -> FeatureSet:
    """The statistics of `count` images' features [count, dims] and, with `rows`, every row: read from the cache
    when it holds them soundly, else compute(needs) and kept. Keyed by a digest of the images (`images_key`), the
    extractor's name and its weights."""
    key = f"{images_key}:{extractor.name}:{extractor.weights_id}:{count}:layout{LAYOUT}"
    path = cache_folder() / "real-features" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    if path.is_file():
        found = _read(path, count, dims, rows)
        if isinstance(found, FeatureSet):
            return found
        if found is not None:
            print(f"the feature cache entry {path} {found}; extracting the real features again", file=sys.stderr)
    features = compute(WITH_ROWS if rows else STATISTICS_ONLY)
    _write(path, features)
    return features


def _read(path: Path, count: int, dims: int, rows: bool) -> FeatureSet | str | None:
    """The entry's statistics (and rows, with `rows`), what is wrong with it, or None when it holds no rows and
    they are needed (not a damage: the entry was made for statistics only)."""
    try:
        stored = read_stored(path, rows)
    except NPZ_DAMAGE as error:
        return f"cannot be read ({type(error).__name__}: {error})"
    if missing := sorted({"about", "mean", "covariance"} - stored.names):
        return f"cannot be read (it holds no {' or '.join(map(repr, missing))})"
    if rows and "features" not in stored.names:
        return None
    arrays = stored.arrays
    digests = stored.about.get("digests") if isinstance(stored.about, dict) else None
    if not isinstance(digests, dict):
        return "holds no digests"
    needed = {"mean": (dims,), "covariance": (dims, dims), "features": (count, dims)}
    shapes = {name: array.shape for name, array in arrays.items()}
    if any(shape != needed[name] for name, shape in shapes.items()):
        return f"holds arrays of shapes {shapes}, not the {needed} this evaluation needs"
    changed = [name for name, array in arrays.items() if content_digest(array) != digests.get(name)]
    if changed:
        return f"has changed since it was written ({', '.join(changed)}: the digest does not match)"
    found = stored.feature_set(count)
    return f"is unsound: {found}" if isinstance(found, str) else found


def _write(path: Path, features: FeatureSet) -> None:
    """Keep `features` (its statistics, and its rows when it has them) as a cache entry, atomically; a cache that
    cannot be written is skipped with one line."""
    mean, covariance = features.gaussian()
    arrays = {"mean": mean, "covariance": covariance}
    if features.features is not None:
        arrays["features"] = features.features
    about = {"digests": {name: content_digest(array) for name, array in arrays.items()}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda stream: np.savez(stream, about=np.array(json.dumps(about)), **arrays))
    except OSError as error:
        print(f"cannot write the feature cache in {path.parent} ({error.strerror or error}); going on "
              "without it (set WGANLAB_CACHE to a writable folder to keep the features)", file=sys.stderr)
