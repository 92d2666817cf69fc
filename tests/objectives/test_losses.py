"""Losses against closed forms computed independently in float64."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from wganlab.objectives.losses import (
    LOSSES,
    Loss,
    hinge_critic_loss,
    hinge_generator_loss,
    jensen_shannon_estimate,
    least_squares_critic_loss,
    least_squares_generator_loss,
    mean_difference,
    minimax_critic_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)

REAL = torch.tensor([2.0, 0.5, -1.0, 0.0], dtype=torch.float64)
FAKE = torch.tensor([-2.0, -0.5, 1.0, 3.0], dtype=torch.float64)


def _log_sigmoid(t: torch.Tensor) -> torch.Tensor:
    return torch.log(torch.sigmoid(t))


def test_wasserstein_by_hand() -> None:
    # E[fake] = 1.5 / 4, E[real] = 1.5 / 4
    assert_close(wasserstein_critic_loss(REAL, FAKE), torch.tensor(0.375 - 0.375, dtype=torch.float64))
    assert_close(wasserstein_critic_loss(REAL, FAKE + 1.0), torch.tensor(1.0, dtype=torch.float64))
    assert_close(wasserstein_generator_loss(FAKE), torch.tensor(-0.375, dtype=torch.float64))


def test_minimax_critic_matches_explicit_log_sigmoid() -> None:
    expected = -_log_sigmoid(REAL).mean() - torch.log(1.0 - torch.sigmoid(FAKE)).mean()
    assert_close(minimax_critic_loss(REAL, FAKE), expected)


def test_minimax_generator_matches_explicit_log_sigmoid() -> None:
    expected = torch.log(1.0 - torch.sigmoid(FAKE)).mean()
    assert_close(minimax_generator_loss(FAKE), expected)


def test_non_saturating_generator_matches_explicit_log_sigmoid() -> None:
    assert_close(non_saturating_generator_loss(FAKE), -_log_sigmoid(FAKE).mean())


def test_minimax_losses_are_finite_for_extreme_scores() -> None:
    big = torch.tensor([-200.0, 200.0])
    assert torch.isfinite(minimax_critic_loss(big, big))
    assert torch.isfinite(minimax_generator_loss(big))
    assert torch.isfinite(non_saturating_generator_loss(big))
    # A confidently wrong critic pays about |score|: softplus(200) = 200.
    assert_close(minimax_critic_loss(torch.tensor([-200.0]), torch.tensor([200.0])), torch.tensor(400.0))


def test_generator_gradient_signs_and_saturation() -> None:
    # Both generator losses decrease as D(fake) rises; only the minimax one saturates when
    # the critic confidently rejects the fakes (D(fake) << 0).
    scores = torch.tensor([-10.0, -10.0], dtype=torch.float64, requires_grad=True)
    (saturating,) = torch.autograd.grad(minimax_generator_loss(scores), scores)
    (non_saturating,) = torch.autograd.grad(non_saturating_generator_loss(scores), scores)
    assert (saturating < 0).all() and (non_saturating < 0).all()
    # d/ds -softplus(s) / N = -sigmoid(s) / N; d/ds softplus(-s) / N = -sigmoid(-s) / N.
    assert_close(saturating, torch.full((2,), -1.0 / (1.0 + math.exp(10.0)) / 2, dtype=torch.float64))
    assert_close(non_saturating, torch.full((2,), -1.0 / (1.0 + math.exp(-10.0)) / 2, dtype=torch.float64))
    assert saturating.abs().max() < 1e-4 and non_saturating.abs().min() > 0.49


def test_hinge_on_both_sides_of_margin() -> None:
    # relu(1 - real) = [0, 0.5, 2, 1] -> mean 0.875; relu(1 + fake) = [0, 0.5, 2, 4] -> mean 1.625
    assert_close(hinge_critic_loss(REAL, FAKE), torch.tensor(0.875 + 1.625, dtype=torch.float64))
    # Scores beyond the margin on both sides cost nothing.
    assert_close(hinge_critic_loss(torch.tensor([1.0, 5.0]), torch.tensor([-1.0, -5.0])), torch.tensor(0.0))
    assert_close(hinge_generator_loss(FAKE), torch.tensor(-0.375, dtype=torch.float64))


def test_least_squares_by_hand() -> None:
    # (real - 1)^2 = [1, 0.25, 4, 1] -> mean 1.5625; fake^2 = [4, 0.25, 1, 9] -> mean 3.5625
    assert_close(
        least_squares_critic_loss(REAL, FAKE), torch.tensor(0.5 * 1.5625 + 0.5 * 3.5625, dtype=torch.float64)
    )
    # (fake - 1)^2 = [9, 2.25, 0, 4] -> mean 3.8125
    assert_close(least_squares_generator_loss(FAKE), torch.tensor(0.5 * 3.8125, dtype=torch.float64))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_column_and_flat_scores_agree(name: str) -> None:
    loss = LOSSES[name]
    assert_close(loss.critic(REAL[:, None], FAKE[:, None]), loss.critic(REAL, FAKE))
    if loss.relativistic:
        assert_close(loss.generator(REAL[:, None], FAKE[:, None]), loss.generator(REAL, FAKE))
    else:
        assert_close(loss.generator(FAKE[:, None]), loss.generator(FAKE))
    assert loss.critic(REAL[:, None], FAKE[:, None]).dim() == 0


def test_registry_entries() -> None:
    assert set(LOSSES) == {"wasserstein", "minimax", "non-saturating", "hinge", "least-squares", "rpgan", "ragan"}
    assert all(isinstance(loss, Loss) and loss.description for loss in LOSSES.values())
    assert LOSSES["non-saturating"].critic is minimax_critic_loss
    assert LOSSES["non-saturating"].generator is non_saturating_generator_loss
    assert LOSSES["minimax"].generator is minimax_generator_loss
    assert [name for name, loss in LOSSES.items() if loss.needs_lipschitz] == ["wasserstein"]
    assert {name for name, loss in LOSSES.items() if loss.lipschitz_critic} == {"wasserstein", "hinge"}
    assert {LOSSES[name].estimate for name in ("minimax", "non-saturating")} == {jensen_shannon_estimate}
    assert {LOSSES[name].estimate for name in ("wasserstein", "hinge", "least-squares", "rpgan", "ragan")} == {
        mean_difference}
    assert {name for name, loss in LOSSES.items() if loss.relativistic} == {"rpgan", "ragan"}
    assert {name for name, loss in LOSSES.items() if loss.pairs_rows} == {"rpgan"}
