"""Critics trained alone: each method's paper optimiser, seeded and prepared critics, the fitting loop."""

from __future__ import annotations

import torch
from torch.nn.utils import parametrize

from wganlab.claims.critic_fit import (
    Convergence,
    Method,
    clipping,
    fit_critic,
    gradient_penalty,
    make_critic,
    make_optimiser,
    noisy_copy,
)
from wganlab.config import ObjectiveConfig
from wganlab.data.toy import make_toy


def test_each_method_gets_its_papers_optimiser_unfused():
    critic = make_critic(gradient_penalty(10.0), 8, 1, seed=0)
    adam = make_optimiser(gradient_penalty(10.0), critic)
    assert isinstance(adam, torch.optim.Adam) and adam.defaults["lr"] == 1e-4 and adam.defaults["betas"] == (0.5, 0.9)
    assert not adam.defaults["fused"] and adam.defaults["foreach"] is False
    rmsprop = make_optimiser(clipping(0.01), critic)
    assert isinstance(rmsprop, torch.optim.RMSprop) and rmsprop.defaults["lr"] == 5e-5


def test_critics_are_seeded_and_prepared_for_their_constraint():
    first, again = make_critic(clipping(0.01), 8, 2, seed=3), make_critic(clipping(0.01), 8, 2, seed=3)
    torch.testing.assert_close(first.net[0].weight, again.net[0].weight, rtol=0, atol=0)
    spectral = Method("SN", ObjectiveConfig(loss="hinge", penalty="none", constraint="spectral-norm"))
    assert parametrize.is_parametrized(make_critic(spectral, 8, 1, seed=0).net[0], "weight")


def test_fit_critic_returns_one_estimate_per_update_and_observes_each():
    real = make_toy("8gaussians").sample
    critic, seen = make_critic(clipping(0.01), 8, 1, seed=0), []
    estimates = fit_critic(critic, clipping(0.01), real, noisy_copy(real), 5, torch.Generator().manual_seed(0),
                           batch_size=16, observe=seen.append)
    assert len(estimates) == 5 and seen == [1, 2, 3, 4, 5]
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())  # clipped after every update


def test_fit_critic_stops_when_observe_says_so():
    real = make_toy("8gaussians").sample
    critic = make_critic(clipping(0.01), 8, 1, seed=0)
    estimates = fit_critic(critic, clipping(0.01), real, noisy_copy(real), 10, torch.Generator().manual_seed(0),
                           batch_size=16, observe=lambda update: update == 3)
    assert len(estimates) == 3


def test_convergence_compares_the_best_of_the_window_with_the_best_before_it():
    rule = Convergence(every=10, window=2, tolerance=0.01)
    assert not rule.reached([1.0, 2.0])  # nothing before the window yet
    assert not rule.reached([1.0, 2.0, 3.0])  # 3 beats 1 by more than 1%
    assert rule.reached([1.0, 2.0, 1.5, 2.015])  # 2.015 beats 2 by less than 1%, which does not count
    assert not rule.reached([1.0, 2.0, 1.5, 2.025])
    assert rule.reached([-1.0, -0.5, -0.9, -0.496])  # a negative best: the tolerance is 1% of |best|
    assert not rule.reached([-1.0, -0.5, -0.9, -0.494])


def test_noisy_copy_adds_unit_gaussian_noise():
    def zeros(n: int, rng: torch.Generator) -> torch.Tensor:
        return torch.zeros(n, 2)

    points = noisy_copy(zeros)(20_000, torch.Generator().manual_seed(0))
    torch.testing.assert_close(points.std(dim=0), torch.ones(2), rtol=0, atol=0.03)
