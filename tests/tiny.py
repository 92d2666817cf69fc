"""Tiny training settings shared by tests: runs that finish in well under a second."""

from __future__ import annotations

TINY = [
    "--set", "model.width=16",
    "--set", "model.depth=1",
    "--set", "train.batch_size=32",
    "--set", "eval.samples=200",
    "--set", "eval.w1_samples=200",
]

# a digits image run of a few steps (8x8, one channel), with an EMA generator
DIGITS = ["--preset", "digits", "--set", "data.stack=1", "--set", "model.width=8", "--set", "model.latent_dim=8",
          "--set", "train.batch_size=16", "--set", "eval.image_samples=120", "--set", "train.critic_iters=1",
          "--set", "train.ema_decay=0.5", "--set", "eval.figures=false", "--set", "eval.diagnostics=false"]
