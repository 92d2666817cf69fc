#!/usr/bin/env python3
"""Image-folder loading benchmark (issue 9): memory and time of the first and of a later start.

Writes `--count` 218x178 JPEGs (CelebA's size; smooth random pictures, about CelebA's file size), then loads
them as a run does (`data.name = "folder"`, `data.crop = true`, `data.resize = 64`), each time in a fresh
process: first with an empty image cache (decoding every file), then with the cache the first start left.
Memory added by loading is the process's peak resident set (VmHWM) minus its resident set just before the
load; it counts the memory-mapped cache pages the process touched. Targets: at most 2x the final uint8 array
plus 300 MB, and a later start at least 5x faster than the first. Prints one JSON line per start and a summary.

    python benchmarks/image_loading.py --count 20000 --folder /tmp/celeba-like --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import cpu_name

CHILD = r"""
import json, sys, time
from pathlib import Path

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)

import torch  # imported before measuring: the baseline is a process ready to train
from wganlab.data.images import load_images

before = status("VmRSS")
began = time.perf_counter()
data = load_images("folder", sys.argv[1], crop=True, resize=64)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "added_bytes": status("VmHWM") - before,
                  "array_bytes": data.pixels.numel(), "shape": list(data.pixels.shape)}))
"""


def write_jpegs(folder: Path, count: int, seed: int = 0) -> None:
    """`count` 178x218 (width x height) JPEGs: a random 12x10 picture enlarged smoothly, plus mild noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        small = Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
        picture = np.asarray(small.resize((178, 218), Image.Resampling.BICUBIC), dtype=np.int16)
        noisy = np.clip(picture + rng.integers(-6, 7, picture.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"{index:06d}.jpg", quality=90)


def start(folder: Path, cache: Path) -> dict:
    environment = dict(os.environ, WGANLAB_CACHE=str(cache))
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=environment, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "wganlab-celeba-like")
    parser.add_argument("--repeats", type=int, default=3, help="first starts and later starts, each")
    args = parser.parse_args()
    existing = len(list(args.folder.glob("*.jpg"))) if args.folder.is_dir() else 0
    if existing != args.count:
        shutil.rmtree(args.folder, ignore_errors=True)
        write_jpegs(args.folder, args.count)
    size = sum(p.stat().st_size for p in args.folder.glob("*.jpg"))
    print(f"{args.count} JPEGs, {size / 2**20:.0f} MB, in {args.folder}; CPU {cpu_name()}, {os.cpu_count()} cores",
          file=sys.stderr)
    firsts, laters = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            cache = Path(scratch) / f"cache-{repeat}"
            firsts.append(start(args.folder, cache))
            print(json.dumps({"start": "first", **firsts[-1]}))
            laters.append(start(args.folder, cache))
            print(json.dumps({"start": "later", **laters[-1]}))
    array = firsts[0]["array_bytes"]
    first_s = statistics.median(r["seconds"] for r in firsts)
    later_s = statistics.median(r["seconds"] for r in laters)
    peak = max(r["added_bytes"] for r in firsts + laters)
    bound = 2 * array + 300 * 2**20
    print(json.dumps({
        "cpu": cpu_name(), "count": args.count, "jpeg_mb": round(size / 2**20, 1),
        "array_mb": round(array / 2**20, 1), "first_start_s": round(first_s, 2), "later_start_s": round(later_s, 3),
        "speedup": round(first_s / later_s, 1), "peak_added_mb": round(peak / 2**20, 1),
        "bound_mb": round(bound / 2**20, 1), "memory_ok": peak <= bound, "speed_ok": first_s >= 5 * later_s,
    }))


if __name__ == "__main__":
    main()
