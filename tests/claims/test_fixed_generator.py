"""Critics trained alone against the fixed generator: memoised, seeded He-uniform starts, drift, clip bounds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import clipping, gradient_penalty


def test_trained_critic_is_memoised(tmp_path: Path) -> None:
    context = ClaimContext(seeds=(0,), quick=True, figure_dir=tmp_path, work_dir=tmp_path)
    setup = fixed.CriticSetup("8gaussians", clipping(0.01), width=8, depth=1, iterations=3, batch_size=8, seed=0)
    assert fixed.trained_critic(context, setup) is fixed.trained_critic(context, setup)


def test_initial_critic_is_he_uniform_seeded_and_can_start_at_zero() -> None:
    setup = fixed.CriticSetup(
        "swissroll", gradient_penalty(10.0), width=16, depth=2, iterations=1, batch_size=8, seed=3, zero_output=True
    )
    critic = fixed.initial_critic(setup)
    hidden = critic.net[2]  # [16, 16]
    assert hidden.weight.abs().max() <= math.sqrt(6 / 16)
    assert torch.count_nonzero(hidden.bias) == 0
    torch.testing.assert_close(critic(torch.randn(5, 2)), torch.zeros(5, 1))
    again = fixed.initial_critic(setup)
    torch.testing.assert_close(again.net[0].weight, critic.net[0].weight)


def test_drift_compares_the_last_tenth_with_the_tenth_before_the_last_fifth() -> None:
    assert fixed.drift(tuple(float(i) for i in range(1, 11))) == pytest.approx((10 - 8) / 10)
    assert fixed.drift((2.0,) * 50) == 0.0


def test_clip_value_comes_from_the_methods_constraint() -> None:
    assert fixed.clip_value(clipping(0.01)) == 0.01
    assert fixed.clip_value(gradient_penalty(10.0)) is None


def test_held_out_points_are_fixed_by_data_and_seed_and_apart_from_training() -> None:
    real, fake = fixed.held_out("8gaussians", 0, 50)
    again, _ = fixed.held_out("8gaussians", 0, 50)
    other, _ = fixed.held_out("8gaussians", 1, 50)
    torch.testing.assert_close(real, again, rtol=0, atol=0)
    assert not torch.equal(real, other)
    assert (fake - real).std() > 0.5  # the fixed generator: real data plus unit Gaussian noise, independently drawn
