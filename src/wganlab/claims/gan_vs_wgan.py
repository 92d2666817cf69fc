"""Paired training runs shared by claims 8, 10 and 11: WGAN-GP and a GAN, each with its own recipe.

WGAN-GP uses the `grid` preset (lambda 0.1, n_critic 2, Adam 5e-4, batch 256); the GAN the `gan-ns`
preset (non-saturating, n_critic 1, Adam 2e-4, batch 64). Both get the same 3 x 256 ReLU MLPs, the same
number of generator steps and the same evaluations, so per-step cost differences show up in wall time.
Claim 8 adds two runs in the WGAN paper's settings on the same networks (`PAPER_SETTINGS`).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from wganlab.claims.context import ClaimContext
from wganlab.data.toy import make_toy
from wganlab.metrics.transport import exact_w1
from wganlab.runlogs import RunLogs

METHODS = {"WGAN-GP": "grid", "GAN": "gan-ns"}  # label -> preset
DISCRIMINATOR_ITERS = 10  # the near-optimal GAN's discriminator updates per generator step
# label -> (preset, values over paired_run's): the WGAN of the paper's Fig. 3 (preset wgan-paper: clip 0.01, RMSProp
# 5e-5, n_critic 5 with 100 critic iterations for the first 25 generator steps and every 500th, batch 64) and a GAN
# whose discriminator gets DISCRIMINATOR_ITERS updates per generator step, nearer its optimum (Fig. 4)
PAPER_SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "WGAN": ("wgan-paper", {}),
    "GAN, near-optimal D": ("gan-ns", {"train.critic_iters": DISCRIMINATOR_ITERS}),
}


def paired_run(context: ClaimContext, method: str, data: str, seed: int, steps: int | None = None) -> RunLogs:
    """`method` (a METHODS or PAPER_SETTINGS label) on `data` with the pair's networks and evaluations, for the pair's
    generator steps or `steps` (then evaluated every steps / 16), keeping a checkpoint at every evaluation (claim 8
    sets its critics there against their optimum; checkpoints change no number and no training second)."""
    preset, values = (METHODS[method], {}) if method in METHODS else PAPER_SETTINGS[method]
    if context.quick:  # the WGAN's warm-up alone is 2,500 critic iterations: more than a smoke test's whole run
        values = values | {"train.critic_warmup": False}
    every = context.size(250, 30) if steps is None else max(1, steps // 16)
    steps = steps or context.size(4000, 120)
    overrides: dict[str, Any] = {
        "data.name": data,
        "model.width": context.size(256, 32),
        "model.depth": 3,
        "train.steps": steps,
        "train.seed": seed,
        "train.checkpoint_every": every,
        "train.keep_checkpoints": steps // every + 1,
        "eval.every": every,
        "eval.samples": context.size(2500, 300),
        "eval.w1_samples": context.size(2000, 300),
        "eval.figures": False,
        "optim.lr_decay": "none",  # the same schedule for both: no decay
    }
    return context.train(preset, overrides | values)


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
