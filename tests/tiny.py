"""Tiny training settings shared by tests: runs that finish in well under a second."""

from __future__ import annotations

TINY = [
    "--set", "model.width=16",
    "--set", "model.depth=1",
    "--set", "train.batch_size=32",
    "--set", "eval.samples=200",
    "--set", "eval.w1_samples=200",
]
