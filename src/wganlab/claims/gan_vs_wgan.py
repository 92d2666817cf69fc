"""Paired training runs shared by claims 8, 10 and 11: WGAN-GP and a GAN, each with its own recipe.

WGAN-GP uses the `grid` preset (lambda 0.1, n_critic 2, Adam 5e-4, batch 256); the GAN the `gan-ns`
preset (non-saturating, n_critic 1, Adam 2e-4, batch 64). Both get the same 3 x 256 ReLU MLPs, the same
number of generator steps and the same evaluations, so per-step cost differences show up in wall time.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from wganlab.claims.context import ClaimContext
from wganlab.data.toy import make_toy
from wganlab.metrics.transport import exact_w1
from wganlab.rundir import RunLogs

METHODS = {"WGAN-GP": "grid", "GAN": "gan-ns"}  # label -> preset


def paired_run(context: ClaimContext, method: str, data: str, seed: int) -> RunLogs:
    overrides: dict[str, Any] = {
        "data.name": data,
        "model.width": context.size(256, 32),
        "model.depth": 3,
        "train.steps": context.size(4000, 120),
        "train.seed": seed,
        "train.checkpoint_every": context.size(4000, 120),
        "eval.every": context.size(250, 30),
        "eval.samples": context.size(2500, 300),
        "eval.w1_samples": context.size(2000, 300),
        "eval.figures": False,
        "optim.lr_decay": "none",  # the same schedule for both: no decay
    }
    return context.train(METHODS[method], overrides)


def protocol(context: ClaimContext) -> str:
    steps, every = context.size(4000, 120), context.size(250, 30)
    return (
        f"WGAN-GP (preset `grid`: lambda 0.1, n_critic 2, Adam 5e-4 betas (0.5, 0.9), batch 256) and a GAN (preset "
        f"`gan-ns`: non-saturating loss, n_critic 1, Adam 2e-4 betas (0.5, 0.999), batch 64), both with 3 x "
        f"{context.size(256, 32)} ReLU MLPs, constant learning rates, {steps} generator steps, evaluated every {every} "
        f"steps (exact W1 on {context.size(2000, 300)} points, modes on {context.size(2500, 300)} samples)"
    )


def real_w1_floor(data: str, points: int, seed: int) -> float:
    """W1 between two independent real samples of `points` points: what a perfect generator scores."""
    distribution = make_toy(data, seed=seed)
    rng = torch.Generator().manual_seed(10_000 + seed)
    return exact_w1(distribution.sample(points, rng), distribution.sample(points, rng))


def series(run: RunLogs, key: str) -> tuple[list[int], list[float]]:
    records = [r for r in run.metrics if key in r and math.isfinite(r[key])]
    return [int(r["step"]) for r in records], [float(r[key]) for r in records]


def metric_key(run: RunLogs, prefix: str) -> str:
    """The run's metric name that starts with `prefix` (e.g. "w1_" -> "w1_2000")."""
    return next(k for k in run.metrics[-1] if k.startswith(prefix))


def final_metric(run: RunLogs, prefix: str) -> float:
    """The last evaluation's value of the metric that starts with `prefix`."""
    return float(run.metrics[-1][metric_key(run, prefix)])
