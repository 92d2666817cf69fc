"""The fully connected network: depth hidden layers of width units, one activation, a linear output."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wganlab.errors import ConfigError
from wganlab.models.mlp import ACTIVATIONS, MLP, activation

# name -> (type, value at -1, value at 1): closed forms of each activation
EXPECTED = {
    "relu": (nn.ReLU, 0.0, 1.0),
    "leaky-relu": (nn.LeakyReLU, -0.2, 1.0),
    "elu": (nn.ELU, math.exp(-1.0) - 1.0, 1.0),
    "tanh": (nn.Tanh, -math.tanh(1.0), math.tanh(1.0)),
    "gelu": (nn.GELU, -0.5 * (1 + math.erf(-1 / math.sqrt(2))), 0.5 * (1 + math.erf(1 / math.sqrt(2)))),
}


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_layer_count_and_sizes(depth):
    mlp = MLP(3, 2, width=5, depth=depth, activation_name="relu")
    linears = [layer for layer in mlp.net if isinstance(layer, nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linears] == (
        [(3, 5)] + [(5, 5)] * (depth - 1) + [(5, 2)] if depth else [(3, 2)]
    )
    assert sum(isinstance(layer, nn.ReLU) for layer in mlp.net) == depth
    assert isinstance(mlp.net[-1], nn.Linear)  # the output is never squashed
    assert mlp(torch.randn(4, 3)).shape == (4, 2)


def test_no_hidden_layer_is_affine():
    mlp = MLP(2, 1, width=7, depth=0, activation_name="tanh")
    x = torch.tensor([[1.0, 2.0], [-3.0, 0.5]])
    layer = mlp.net[0]
    torch.testing.assert_close(mlp(x), x @ layer.weight.T + layer.bias)


def test_the_table_lists_every_activation():
    assert list(ACTIVATIONS) == list(EXPECTED)
    assert all(d and "\n" not in d for d in ACTIVATIONS.descriptions().values())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_activation_resolves_to_its_function(name):
    kind, at_minus_one, at_one = EXPECTED[name]
    module = activation(name)
    assert isinstance(module, kind) and activation(name) is not module  # a fresh module each time
    values = module(torch.tensor([-1.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(values, torch.tensor([at_minus_one, at_one], dtype=torch.float64))


def test_unknown_activation_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        MLP(2, 1, 4, 1, "relu6")
    message = str(info.value)
    assert message.startswith("unknown model.activation 'relu6'; did you mean 'relu'?") and "\n" not in message
