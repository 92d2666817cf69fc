#!/usr/bin/env python3
"""What checking a cache entry when it is read costs (issue 33): the read without the checks (as wganlab read an
entry before) against the read with them, median of several reads of an entry just written (in the page cache:
the disk's own speed is not measured).

- The decoded-image cache: an entry of CIFAR-10's size (50,000 x 3 x 32 x 32 uint8, 147 MiB) and one of 20,000
  64x64 RGB images (234 MiB). Before: the record read, the pixels memory-mapped, the labels read. After: the same,
  and the sha256 of the pixels and labels files.
- The real-feature cache: CIFAR-10's Inception rows (50,000 x 2,048 float32, 391 MiB) with their float64 mean and
  covariance. Before: the three arrays read. After: the same, and each array's digest, the shapes this evaluation
  needs, finiteness and the covariance's symmetry and positive semi-definiteness (metrics/soundness.py); and the
  read of a run that needs only FID's statistics (the rows are not read).

    ../shared/tools/capped 12G 1800 -- python benchmarks/cache_checks.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import cpu_name  # noqa: E402

MIB = 2**20


def median_seconds(read: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def image_entry(count: int, shape: tuple[int, int, int]) -> tuple[str, float]:
    """An entry of `count` random images (as the cache writes it); its key and size in MiB."""
    from wganlab.data import image_cache
    from wganlab.data.image_folder import Listing
    from wganlab.data.transforms import Transform

    writer = image_cache.Writer((count, *shape))
    rng = np.random.default_rng(0)
    for start in range(0, count, 5000):
        writer.out[start : start + 5000] = rng.integers(0, 256, (min(5000, count - start), *shape), dtype=np.uint8)
    stats = [(f"{index % 10}/{index:06d}.png", 100, 0) for index in range(count)]
    listing = Listing(Path("/nowhere"), [Path("/nowhere") / s[0] for s in stats], stats)
    entry = writer.commit(listing, [f"{index:032x}" for index in range(count)], Transform())
    return entry.key, entry.pixels.nbytes / MIB


def open_unchecked(key: str) -> None:
    """What opening an entry did before its digests were checked."""
    from wganlab.data.image_cache import images_folder

    folder = images_folder() / key
    meta = json.loads((folder / "meta.json").read_text())
    pixels = np.load(folder / "pixels.npy", mmap_mode="c")
    np.load(folder / "labels.npy") if meta["labelled"] else None
    assert list(pixels.shape) == meta["shape"]


def feature_entry(count: int, dims: int) -> tuple[Path, float]:
    """A feature cache entry of `count` random float32 rows (as the cache writes it); its path and size in MiB."""
    from wganlab.metrics.images import FeatureSet
    from wganlab.training import feature_cache

    rng = np.random.default_rng(0)
    features = FeatureSet(rng.standard_normal((count, dims), dtype=np.float32), None)
    path = Path(os.environ["WGANLAB_CACHE"]) / "real-features" / "benchmark.npz"
    feature_cache._write(path, features)
    return path, path.stat().st_size / MIB


def read_unchecked(path: Path) -> None:
    """What reading an entry did before it was checked (layout 2): the three arrays."""
    with np.load(path, allow_pickle=False) as saved:
        for name in ("features", "mean", "covariance"):
            saved[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}; numpy {np.__version__}; medians of {args.repeats} reads, entries in the page cache")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["WGANLAB_CACHE"] = scratch
        from wganlab.data import image_cache
        from wganlab.metrics.images import FeatureSet
        from wganlab.training import feature_cache

        for count, shape in ((50_000, (3, 32, 32)), (20_000, (3, 64, 64))):
            key, mib = image_entry(count, shape)
            assert image_cache._open(key) is not None
            before = median_seconds(lambda key=key: open_unchecked(key), args.repeats)
            after = median_seconds(lambda key=key: image_cache._open(key), args.repeats)
            print(f"image cache, {count:,} x {shape} uint8 ({mib:,.0f} MiB): open {before * 1000:,.1f} ms before, "
                  f"{after * 1000:,.1f} ms checked ({mib / max(after - before, 1e-9):,.0f} MiB/s checked)")
        count, dims = 50_000, 2048
        path, mib = feature_entry(count, dims)
        assert isinstance(feature_cache._read(path, count, dims, True), FeatureSet)  # found and sound
        before = median_seconds(lambda path=path: read_unchecked(path), args.repeats)
        after = median_seconds(lambda: feature_cache._read(path, count, dims, True), args.repeats)
        statistics_only = median_seconds(lambda: feature_cache._read(path, count, dims, False), args.repeats)
        print(f"feature cache, {count:,} x {dims} float32 rows ({mib:,.0f} MiB): read {before:.2f} s before, "
              f"{after:.2f} s checked ({after / before:.2f}x); the statistics alone (FID), checked: "
              f"{statistics_only:.2f} s")


if __name__ == "__main__":
    main()
