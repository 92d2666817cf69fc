"""The Dirac-GAN dynamics against hand-computed steps and closed-form eigenvalues (Mescheder et al. 2018)."""

from __future__ import annotations

import math

import pytest
import torch

from wganlab.claims.dirac_gan import Dynamics, jacobian_eigenvalues, simulate, vector_field
from wganlab.config import ObjectiveConfig
from wganlab.objectives.objective import build_objective

GAN = ObjectiveConfig(loss="minimax", penalty="none")
WGAN = ObjectiveConfig(loss="wasserstein", penalty="none")


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def _rng() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def test_field_of_the_gan_at_the_start_is_the_papers():
    # v = (-psi f'(psi theta), theta f'(psi theta)) with f'(t) = sigmoid(-t)
    field = vector_field(build_objective(GAN), 1.0, 1.0, _rng())
    torch.testing.assert_close(field, torch.tensor([-_sigmoid(-1.0), _sigmoid(-1.0)], dtype=torch.float64))


def test_one_alternating_step_moves_the_generator_first():
    path = simulate(build_objective(GAN), Dynamics(steps=1), _rng())
    theta = 1.0 - 0.2 * _sigmoid(-1.0)
    psi = 1.0 + 0.2 * theta * _sigmoid(-theta)
    torch.testing.assert_close(path, torch.tensor([[1.0, 1.0], [theta, psi]], dtype=torch.float64))


def test_one_simultaneous_step_uses_the_same_point():
    path = simulate(build_objective(GAN), Dynamics(steps=1, simultaneous=True), _rng())
    expected = torch.tensor([1.0 - 0.2 * _sigmoid(-1.0), 1.0 + 0.2 * _sigmoid(-1.0)], dtype=torch.float64)
    torch.testing.assert_close(path[1], expected)


def test_unclipped_wgan_is_the_linear_alternating_map():
    # theta' = theta - h psi, psi' = psi + h theta'  ->  M = [[1, -h], [h, 1 - h^2]]
    h, steps = 0.2, 40
    matrix = torch.tensor([[1.0, -h], [h, 1.0 - h * h]], dtype=torch.float64)
    expected = torch.linalg.matrix_power(matrix, steps) @ torch.tensor([1.0, 1.0], dtype=torch.float64)
    path = simulate(build_objective(WGAN), Dynamics(steps=steps), _rng())
    torch.testing.assert_close(path[-1], expected, rtol=1e-5, atol=1e-5)


def test_clipping_keeps_psi_in_the_box():
    clipped = ObjectiveConfig(loss="wasserstein", penalty="none", constraint="clip", clip_value=0.5)
    path = simulate(build_objective(clipped), Dynamics(steps=50, critic_steps=3), _rng())
    assert path[:, 1].abs().max() <= 0.5 + 1e-7


@pytest.mark.parametrize(("config", "frequency"), [(GAN, 0.5), (WGAN, 1.0)])
def test_unregularised_eigenvalues_are_purely_imaginary(config, frequency):
    eigenvalues = jacobian_eigenvalues(build_objective(config), _rng())
    torch.testing.assert_close(eigenvalues.real, torch.zeros(2, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(eigenvalues.imag.abs(), torch.full((2,), frequency, dtype=torch.float64))


@pytest.mark.parametrize("gamma", [0.3, 0.6])
@pytest.mark.parametrize("penalty", ["r1", "r2"])
def test_zero_centred_penalty_eigenvalues(gamma, penalty):
    # (gamma/2) ||grad D||^2 = weight gamma/2: lambda = -gamma/2 +- i sqrt(1/4 - gamma^2/4)
    config = ObjectiveConfig(loss="minimax", penalty=penalty, penalty_weight=gamma / 2)
    eigenvalues = jacobian_eigenvalues(build_objective(config), _rng())
    torch.testing.assert_close(eigenvalues.real, torch.full((2,), -gamma / 2, dtype=torch.float64))
    imaginary = math.sqrt(0.25 - gamma**2 / 4)
    torch.testing.assert_close(eigenvalues.imag.abs(), torch.full((2,), imaginary, dtype=torch.float64))
