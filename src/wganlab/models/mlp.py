"""Fully connected generator and critic: plain modules that know nothing of losses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor, nn

from wganlab.parts import Parts


@dataclass(frozen=True)
class Activation:
    name: str
    description: str
    make: Callable[[], nn.Module]


ACTIVATIONS: Parts[Activation] = Parts("model.activation", [
    Activation("relu", "max(0, x)", nn.ReLU),
    Activation("leaky-relu", "max(0.2 x, x)", lambda: nn.LeakyReLU(0.2)),
    Activation("elu", "exponential linear unit", nn.ELU),
    Activation("tanh", "hyperbolic tangent", nn.Tanh),
    Activation("gelu", "Gaussian error linear unit", nn.GELU),
])


def activation(name: str) -> nn.Module:
    """A fresh activation module by its config name."""
    return ACTIVATIONS.resolve(name).make()


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

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations [N, width] of the flattened input (a conditional critic's phi)."""
        return self.net[:-1](x.flatten(1))

    @property
    def score(self) -> nn.Linear:
        """The output layer, features -> out."""
        return self.net[-1]
