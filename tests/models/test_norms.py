"""The normalisation layers by name: their layer types, which of them mix samples, which a generator may use."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.errors import ConfigError
from wganlab.models.norms import GENERATOR_NORMS, NORMS, norm_layer


@pytest.mark.parametrize(("name", "kind"), [("none", nn.Identity), ("layer", nn.GroupNorm), ("batch", nn.BatchNorm2d)])
def test_each_norm_makes_its_layer(name, kind):
    layer = norm_layer(name, 6)
    assert isinstance(layer, kind) and norm_layer(name, 6) is not layer  # a fresh layer each time
    if name == "layer":
        assert (layer.num_groups, layer.num_channels) == (1, 6)
    if name == "batch":
        assert layer.num_features == 6


def test_layer_norm_normalises_each_sample_over_all_its_values():
    x = torch.randn(3, 4, 5, 5, dtype=torch.float64) * torch.tensor([1.0, 10.0, 100.0]).reshape(3, 1, 1, 1) + 7
    y = norm_layer("layer", 4).double()(x)
    torch.testing.assert_close(y.mean(dim=(1, 2, 3)), torch.zeros(3, dtype=torch.float64), rtol=0, atol=1e-12)
    variance = y.var(dim=(1, 2, 3), unbiased=False)  # var / (var + eps): eps 1e-5 on a variance of at least 1
    torch.testing.assert_close(variance, torch.ones(3, dtype=torch.float64), rtol=0, atol=1e-4)


def test_only_batch_norm_mixes_samples():
    assert {name: norm.mixes_samples for name, norm in NORMS.items()} == {"none": False, "layer": False, "batch": True}


def test_generator_norms_are_none_and_batch():
    assert list(GENERATOR_NORMS) == ["none", "batch"]
    assert GENERATOR_NORMS.key == "model.generator_norm" and NORMS.key == "model.critic_norm"
    with pytest.raises(ConfigError, match="unknown model.generator_norm 'layer'"):
        GENERATOR_NORMS.resolve("layer")


def test_unknown_norm_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown model.critic_norm 'instance'"):
        norm_layer("instance", 3)
