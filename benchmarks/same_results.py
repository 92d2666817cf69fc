#!/usr/bin/env python3
"""Are two trees of run folders bitwise the same? For a refactoring that must change no number.

Compares every JSONL record, every JSON file and every checkpoint (tensors with torch.equal, everything else
with ==) of LEFT against the same path under RIGHT. Left out, because they differ between any two runs of the
same code: clock fields (keys naming time or seconds, steps per second), checkpoint digests (they cover the
clock), the lock file (a PID), figures and TensorBoard files, and a checkpoint's `torch_rng`, the process's
global generator, which torch seeds differently in every process and training never draws from, and the run's
random id (run.json `id`, a checkpoint's `run`). `--ignore KEY` leaves out a key one side lacks by design (a
config value added between the two commits).

    python benchmarks/same_results.py BEFORE/runs AFTER/runs [--ignore train.matmul_precision]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import torch

from wganlab.training import checkpoint

CLOCK = ("time/", "seconds", "steps_per_second", "sha256")  # sha256: the checkpoint digest, which covers the clock
PER_PROCESS = ("torch_rng", "id", "run")  # the process's global generator; the run's random id
SKIPPED_SUFFIXES = (".png", ".html", ".log")
SKIPPED_NAMES = (".lock",)


IGNORED: set[str] = set()  # --ignore's keys (the last part of a dotted name)


def _kept(key: object) -> bool:
    return not (isinstance(key, str) and (any(part in key for part in CLOCK) or key in PER_PROCESS or key in IGNORED))


def differences(left: Any, right: Any, where: str) -> list[str]:
    """Where `left` and `right` differ, leaving out the clock and per-process keys."""
    if isinstance(left, torch.Tensor):
        same = (isinstance(right, torch.Tensor) and left.dtype == right.dtype and left.shape == right.shape
                and torch.equal(left, right))
        return [] if same else [where]
    if isinstance(left, dict):
        if not isinstance(right, dict):
            return [where]
        keys, other = [k for k in left if _kept(k)], {k for k in right if _kept(k)}
        if set(keys) != other:
            return [f"{where} (keys {sorted(map(str, set(keys) ^ other))})"]
        return [found for key in keys for found in differences(left[key], right[key], f"{where}/{key}")]
    if isinstance(left, list | tuple):
        if not isinstance(right, list | tuple) or len(left) != len(right):
            return [where]
        return [found for i, (a, b) in enumerate(zip(left, right, strict=True))
                for found in differences(a, b, f"{where}[{i}]")]
    both_nan = isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right)
    return [] if left == right or both_nan else [f"{where}: {left!r} != {right!r}"]


def read(path: Path) -> Any:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    if path.suffix == ".json":
        return json.loads(path.read_text())
    if path.suffix == ".pt":
        return checkpoint.read(path)  # verified, and never unpickled beyond tensors
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("left", type=Path)
    parser.add_argument("right", type=Path)
    parser.add_argument("--ignore", action="append", default=[], help="a config key one side lacks by design")
    args = parser.parse_args()
    IGNORED.update(key.rpartition(".")[2] for key in args.ignore)
    compared, found = 0, []
    for path in sorted(p for p in args.left.rglob("*") if p.is_file()):
        relative = path.relative_to(args.left)
        if path.suffix in SKIPPED_SUFFIXES or path.name in SKIPPED_NAMES or "tensorboard" in relative.parts:
            continue
        other = args.right / relative
        compared += 1
        if not other.exists():
            found.append(f"{relative}: missing on the right")
            continue
        left, right = read(path), read(other)
        found += differences(left, right, str(relative)) if not isinstance(left, bytes) else (
            [] if left == right else [str(relative)])
    for line in found:
        print("differs:", line)
    print(f"{compared} files compared, {len(found)} differences")
    raise SystemExit(1 if found else 0)


if __name__ == "__main__":
    main()
