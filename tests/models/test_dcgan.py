"""The DCGAN generator and critic: shapes from the image size, raw critic scores, per-sample layer norm."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.models.dcgan import DCGANCritic, DCGANGenerator


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_generator_and_critic_shapes(shape):
    generator, critic = DCGANGenerator(12, shape, 8), DCGANCritic(shape, 8, "layer")
    images = generator(torch.randn(4, 12))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1.0
    assert critic(images).shape == (4, 1)


@pytest.mark.parametrize(("size", "steps", "base"), [(8, 1, 4), (28, 2, 7), (32, 3, 4)])
def test_channels_double_per_resolution_step(size, steps, base):
    generator, critic = DCGANGenerator(5, (1, size, size), 8), DCGANCritic((1, size, size), 8)
    up = [layer for layer in generator.body if isinstance(layer, nn.ConvTranspose2d)]
    assert [(layer.in_channels, layer.out_channels) for layer in up] == [
        (8 * 2 ** (steps - i), 8 * 2 ** (steps - i - 1)) for i in range(steps)
    ]
    assert generator.project[0].out_features == 8 * 2**steps * base * base
    down = [layer for layer in critic.body if isinstance(layer, nn.Conv2d) and layer.stride == (2, 2)]
    assert len(down) == steps and critic.score.in_features == 8 * 2**steps * base * base
