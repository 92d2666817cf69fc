"""Evaluate a generator (and its critic) on a toy distribution with the exact toy metrics.

Metric names carry their protocol: `modes_2500` counts modes on 2,500 samples, `w1_2000` is the exact
W1 between 2,000 generated and 2,000 real points.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wganlab.config import EvalConfig
from wganlab.data.toy import ToyDistribution
from wganlab.metrics.modes import mode_coverage
from wganlab.metrics.transport import exact_w1
from wganlab.objectives.losses import Estimate


@torch.no_grad()
def evaluate_toy(
    sampler: nn.Module,
    critic: nn.Module,
    estimate: Estimate,
    dataset: ToyDistribution,
    config: EvalConfig,
    latent_dim: int,
    seed: int,
) -> tuple[dict[str, float], Tensor, Tensor]:
    """Modes, HQ %, reverse KL (VEEGAN/PacGAN protocol), exact W1 and the critic's estimate.

    Returns (metrics, generated points, real points). Uses its own generator seeded by `seed`, so
    evaluating never disturbs the training RNG streams.
    """
    rng = torch.Generator().manual_seed(seed)  # on the CPU: the same points whatever the training device
    parameter = next(critic.parameters())  # its device, and dtype: float32 unless a test runs the networks in float64
    device, dtype = parameter.device, parameter.dtype
    n = max(config.samples, config.w1_samples)
    fake = sampler(torch.randn(n, latent_dim, generator=rng).to(device, dtype)).cpu()  # [n, 2]
    real = dataset.sample(config.w1_samples, rng)  # [w1_samples, 2]
    w1_fake = fake[: config.w1_samples]
    real_scores = critic(real.to(device, dtype)).reshape(-1)
    fake_scores = critic(w1_fake.to(device, dtype)).reshape(-1)
    metrics: dict[str, float] = {
        f"w1_{config.w1_samples}": exact_w1(w1_fake, real),
        "critic_estimate": float(estimate(real_scores, fake_scores)),
        "nonfinite_samples": float((~torch.isfinite(fake)).any(dim=1).sum()),
    }
    if dataset.centres is not None:
        coverage = mode_coverage(fake[: config.samples], dataset.centres, dataset.sigma)
        metrics |= {
            f"modes_{config.samples}": float(coverage.modes),
            "total_modes": float(coverage.total_modes),
            f"hq_percent_{config.samples}": 100.0 * coverage.high_quality,
            f"reverse_kl_{config.samples}": coverage.reverse_kl,
        }
    return metrics, fake, real


def headline(metrics: dict[str, float]) -> str:
    """One line a person reads at a glance: modes, HQ, KL, W1, estimate."""
    parts = []
    for key, value in metrics.items():
        if key.startswith("modes_"):
            parts.append(f"modes {value:.0f}/{metrics['total_modes']:.0f}")
        elif key.startswith("hq_percent_"):
            parts.append(f"HQ {value:.1f}%")
        elif key.startswith("reverse_kl_"):
            parts.append("KL nan" if math.isnan(value) else f"KL {value:.4f}")
        elif key.startswith("w1_"):
            parts.append(f"W1 {value:.4f}")
    parts.append(f"critic est. {metrics['critic_estimate']:.4f}")
    return "  ".join(parts)
