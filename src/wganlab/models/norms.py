"""Normalisation layers for the convolutional networks, chosen by `model.generator_norm` and `model.critic_norm`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from wganlab.parts import Parts


@dataclass(frozen=True)
class Norm:
    name: str
    description: str
    make: Callable[[int], nn.Module]  # channels -> a fresh layer
    mixes_samples: bool = False  # True: a sample's output depends on the rest of its batch
    in_generator: bool = True  # offered as model.generator_norm


NORMS: Parts[Norm] = Parts("model.critic_norm", [
    Norm("none", "no normalisation (WGAN-GP's choice for the critic)", lambda channels: nn.Identity()),
    Norm(
        "layer",
        "LayerNorm over (C, H, W) per sample; allowed under a gradient penalty (critic only)",
        lambda channels: nn.GroupNorm(1, channels),  # one group: normalises over (C, H, W) per sample
        in_generator=False,
    ),
    Norm(
        "batch",
        "BatchNorm (DCGAN's generator); refused in a critic under a per-sample gradient penalty",
        nn.BatchNorm2d,
        mixes_samples=True,
    ),
])
GENERATOR_NORMS: Parts[Norm] = Parts("model.generator_norm", [norm for norm in NORMS.values() if norm.in_generator])


def norm_layer(name: str, channels: int) -> nn.Module:
    """A fresh normalisation layer by its config name."""
    return NORMS.resolve(name).make(channels)
