import numpy as np
import pytest
import torch
from torch import nn

from wganlab.diagnostics.weights import clip_saturation, weight_histogram


def _critic() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))  # 16 + 5 = 21 parameters


def test_all_parameters_at_bound_saturate_fully() -> None:
    critic, clip_value = _critic(), 0.01
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.copy_(clip_value * torch.sign(torch.randn_like(parameter)))
    assert clip_saturation(critic, clip_value) == 1.0


def test_zeroed_parameters_lower_saturation() -> None:
    critic, clip_value = _critic(), 0.01
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.fill_(-clip_value)
        critic[0].weight.zero_()  # 12 of 21 parameters
    assert clip_saturation(critic, clip_value) == pytest.approx(9 / 21, rel=1e-12)


def test_fresh_critic_with_large_clip_is_unsaturated() -> None:
    assert clip_saturation(_critic(), 10.0) == 0.0


def test_weight_histogram_counts_every_parameter() -> None:
    counts, edges = weight_histogram(_critic(), bins=7)
    assert counts.shape == (7,) and edges.shape == (8,)
    assert counts.sum() == 21
    assert np.all(np.diff(edges) > 0)
