"""Critics trained alone against the fixed generator: memoised, seeded He-uniform starts, convergence, clip bounds."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from wganlab.claims import fixed_generator as fixed
from wganlab.claims.context import ClaimContext
from wganlab.claims.critic_fit import Convergence, clipping, gradient_penalty


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


def test_a_critic_with_a_convergence_rule_is_checked_on_the_held_out_pairs_and_stops_when_it_holds(
    tmp_path: Path,
) -> None:
    context = ClaimContext(seeds=(0,), quick=True, figure_dir=tmp_path, work_dir=tmp_path)
    # a rule that any two checks satisfy (tolerance 100x): it holds at the second check
    loose = fixed.CriticSetup("8gaussians", clipping(0.01), 8, 1, 50, 8, 0, True, Convergence(5, 1, 100.0), 40)
    trained = fixed.trained_critic(context, loose)
    assert trained.converged and trained.updates == 10 and [check.update for check in trained.checks] == [5, 10]
    real, fake = fixed.held_out("8gaussians", 0, 40)
    with torch.no_grad():
        estimate = (trained.critic(real).mean() - trained.critic(fake).mean()).item()
    assert trained.checks[-1].estimate == pytest.approx(estimate) == pytest.approx(trained.checks[-1].objective)
    # no tolerance and a critic that keeps improving: it reaches the cap unconverged
    strict = replace(loose, method=gradient_penalty(10.0), iterations=20, convergence=Convergence(5, 3, 0.0))
    capped = fixed.trained_critic(context, strict)
    assert not capped.converged and capped.updates == 20 and len(capped.checks) == 4


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
