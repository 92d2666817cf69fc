import math

import pytest
import torch
from torch import nn

from wganlab.diagnostics.gradients import layer_gradient_norms, log_slope


def _deep_linear(weights: list[torch.Tensor]) -> nn.Sequential:
    layers = []
    for weight in weights:
        layer = nn.Linear(3, 3, bias=False)
        with torch.no_grad():
            layer.weight.copy_(weight)
        layers.append(layer)
    return nn.Sequential(*layers)


def _sum_loss(scores: torch.Tensor) -> torch.Tensor:
    return scores.sum()


def test_deep_linear_network_matches_closed_form() -> None:
    rng = torch.Generator().manual_seed(0)
    weights = [torch.randn(3, 3, generator=rng) * 0.7 for _ in range(4)]
    points = torch.randn(5, 3, generator=rng)
    result = layer_gradient_norms(_deep_linear(weights), _sum_loss, points)
    assert [name for name, _ in result] == ["0", "1", "2", "3"]
    for k, (_, norm) in enumerate(result):
        upstream = torch.ones(3, dtype=torch.float64)  # (W_L ... W_{k+1})^T 1
        for weight in reversed(weights[k + 1 :]):
            upstream = weight.double().T @ upstream
        assert norm == pytest.approx(math.sqrt(5) * upstream.norm().item(), rel=1e-5)


def test_doubling_layers_give_slope_minus_log10_two() -> None:
    critic = _deep_linear([2.0 * torch.eye(3) for _ in range(4)])
    norms = [norm for _, norm in layer_gradient_norms(critic, _sum_loss, torch.randn(4, 3))]
    expected = [2.0**3 * math.sqrt(12), 2.0**2 * math.sqrt(12), 2.0 * math.sqrt(12), math.sqrt(12)]
    assert norms == pytest.approx(expected, rel=1e-6)
    assert log_slope(norms) == pytest.approx(-math.log10(2.0), rel=1e-9)


def test_leaves_parameter_grads_and_hooks_untouched() -> None:
    critic = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    layer_gradient_norms(critic, lambda scores: scores.mean(), torch.randn(6, 2))
    assert all(parameter.grad is None for parameter in critic.parameters())
    assert all(len(module._forward_hooks) == 0 for module in critic.modules())


def test_log_slope_of_decades() -> None:
    assert log_slope([1.0, 10.0, 100.0]) == pytest.approx(1.0, rel=1e-12)


def test_log_slope_rejects_too_few_or_nonpositive_norms() -> None:
    with pytest.raises(ValueError):
        log_slope([1.0])
    with pytest.raises(ValueError):
        log_slope([1.0, 0.0])


def test_critic_loss_layer_norms_score_real_and_fake_in_one_batch() -> None:
    from wganlab.diagnostics.gradients import critic_loss_layer_norms
    from wganlab.objectives.losses import LOSSES

    critic = nn.Linear(2, 1)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    # d(E D(fake) - E D(real)) / d D(x) = +-1/8 for each of the 16 scores: norm sqrt(16) / 8
    norms = critic_loss_layer_norms(critic, LOSSES["wasserstein"].critic, real, fake)
    assert norms == [pytest.approx(0.5)]
