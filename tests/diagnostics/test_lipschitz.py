import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from wganlab.diagnostics.lipschitz import estimate_lipschitz, input_gradient_norms, spectral_norm_product


def _linear_critic() -> nn.Linear:
    critic = nn.Linear(3, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, -2.0, 2.0]]))  # ||w|| = 3
        critic.bias.fill_(0.5)
    return critic


def test_linear_critic_gradient_norm_is_norm_of_w() -> None:
    norms = input_gradient_norms(_linear_critic(), torch.randn(8, 3, generator=torch.Generator().manual_seed(0)))
    assert not norms.requires_grad
    torch.testing.assert_close(norms, torch.full((8,), 3.0), rtol=1e-6, atol=1e-6)


def test_linear_critic_estimate_is_exact() -> None:
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(16, 3, generator=rng), torch.randn(16, 3, generator=rng) + 2.0
    estimate = estimate_lipschitz(_linear_critic(), real, fake, rng)
    for value in (estimate.real, estimate.fake, estimate.interpolated, estimate.spectral_bound, estimate.lower_bound):
        assert value == pytest.approx(3.0, rel=1e-6)


def test_relu_mlp_spectral_bound_dominates_empirical_bound() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    rng = torch.Generator().manual_seed(2)
    estimate = estimate_lipschitz(critic, torch.randn(64, 2, generator=rng), torch.randn(64, 2, generator=rng), rng)
    assert estimate.lower_bound > 0
    assert estimate.spectral_bound >= estimate.lower_bound


def test_spectral_norm_of_diagonal_weight() -> None:
    layer = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.diag(torch.tensor([3.0, 2.0])))
    assert spectral_norm_product(layer) == pytest.approx(3.0, rel=1e-6)


def test_spectral_norm_parametrised_layer_uses_effective_weight_without_side_effects() -> None:
    torch.manual_seed(0)
    layer = spectral_norm(nn.Linear(4, 4), n_power_iterations=50)
    layer.eval()
    expected = torch.linalg.matrix_norm(layer.weight.detach(), 2).item()
    layer.train()
    u_before = layer.parametrizations.weight[0]._u.clone()
    assert spectral_norm_product(layer) == pytest.approx(expected, rel=1e-6)
    torch.testing.assert_close(layer.parametrizations.weight[0]._u, u_before, rtol=0, atol=0)
    assert layer.training


def test_tiny_gradient_norms_are_not_floored():
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3e-9, 4e-9]]))
    norms = input_gradient_norms(critic, torch.randn(5, 2))
    torch.testing.assert_close(norms, torch.full((5,), 5e-9), rtol=1e-5, atol=0.0)
