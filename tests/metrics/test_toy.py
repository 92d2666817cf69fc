"""The toy evaluation: metric names carry their sample counts, a perfect sampler scores perfectly, the headline."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wganlab.config import EvalConfig
from wganlab.data.toy import make_toy
from wganlab.metrics.modes import perfect_sampler_hq_ceiling
from wganlab.metrics.toy import evaluate_toy, headline
from wganlab.objectives.losses import mean_difference


class PerfectSampler(nn.Module):
    """Ignores its latents and draws from the data distribution itself (with its own generator)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.toy = make_toy(name)
        self.rng = torch.Generator().manual_seed(123)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.toy.sample(len(z), self.rng)


def linear_critic() -> nn.Linear:
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.5, -2.0]]))
        critic.bias.fill_(3.0)
    return critic


def run(name: str, samples: int, w1_samples: int) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    config = EvalConfig(samples=samples, w1_samples=w1_samples)
    return evaluate_toy(PerfectSampler(name), linear_critic(), mean_difference, make_toy(name), config, 2, seed=0)


def test_names_carry_the_sample_counts():
    metrics, fake, real = run("grid", samples=300, w1_samples=200)
    assert list(metrics) == [
        "w1_200", "critic_estimate", "nonfinite_samples",
        "modes_300", "total_modes", "hq_percent_300", "reverse_kl_300",
    ]
    assert fake.shape == (300, 2) and real.shape == (200, 2)  # max(samples, w1_samples) generated


def test_distributions_without_modes_have_no_mode_metrics():
    metrics, fake, real = run("swissroll", samples=100, w1_samples=150)
    assert list(metrics) == ["w1_150", "critic_estimate", "nonfinite_samples"]
    assert fake.shape == (150, 2) and real.shape == (150, 2)


def test_a_perfect_sampler_captures_all_25_modes():
    metrics, _, _ = run("grid", samples=2500, w1_samples=100)
    assert metrics["modes_2500"] == 25.0 and metrics["total_modes"] == 25.0
    # HQ share of a perfect sampler: 1 - exp(-9/2) = 98.89 %; binomial sd at 2,500 samples is 0.21 points
    assert metrics["hq_percent_2500"] == pytest.approx(100 * perfect_sampler_hq_ceiling(), abs=1.0)
    # KL of a multinomial histogram from uniform: about (K - 1) / (2 N) = 0.005
    assert 0.0 <= metrics["reverse_kl_2500"] < 0.03
    assert metrics["nonfinite_samples"] == 0.0


def test_the_critic_estimate_of_a_linear_critic():
    metrics, fake, real = run("grid", samples=100, w1_samples=100)
    w = torch.tensor([0.5, -2.0], dtype=torch.float64)
    expected = float(w @ (real.double().mean(0) - fake[:100].double().mean(0)))  # the bias cancels
    assert metrics["critic_estimate"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_the_same_seed_gives_the_same_points():
    first, second = run("ring", 50, 50), run("ring", 50, 50)
    assert torch.equal(first[1], second[1]) and torch.equal(first[2], second[2]) and first[0] == second[0]


def test_headline():
    metrics = {
        "w1_2000": 0.05, "critic_estimate": 0.04, "nonfinite_samples": 0.0,
        "modes_2500": 24.0, "total_modes": 25.0, "hq_percent_2500": 98.54, "reverse_kl_2500": 0.012345,
    }
    assert headline(metrics) == "W1 0.0500  modes 24/25  HQ 98.5%  KL 0.0123  critic est. 0.0400"
    assert headline(metrics | {"reverse_kl_2500": math.nan}) == (
        "W1 0.0500  modes 24/25  HQ 98.5%  KL nan  critic est. 0.0400"
    )
    assert headline({"w1_100": 1.25, "critic_estimate": -0.5}) == "W1 1.2500  critic est. -0.5000"
