"""Fully connected generator and critic: plain modules that know nothing of losses."""

from __future__ import annotations

from torch import Tensor, nn

ACTIVATION_MODULES: dict[str, type[nn.Module] | tuple[type[nn.Module], float]] = {
    "relu": nn.ReLU,
    "leaky-relu": (nn.LeakyReLU, 0.2),
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def activation(name: str) -> nn.Module:
    """A fresh activation module by its config name."""
    spec = ACTIVATION_MODULES[name]
    if isinstance(spec, tuple):
        module, slope = spec
        return module(slope)
    return spec()


class MLP(nn.Module):
    """`depth` hidden layers of `width` units with one activation, then a linear output layer."""

    def __init__(self, in_features: int, out_features: int, width: int, depth: int, activation_name: str):
        super().__init__()
        layers: list[nn.Module] = []
        features = in_features
        for _ in range(depth):
            layers += [nn.Linear(features, width), activation(activation_name)]
            features = width
        layers.append(nn.Linear(features, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # [N, in] -> [N, out]
        return self.net(x)
