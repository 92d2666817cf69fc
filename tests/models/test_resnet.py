"""The WGAN-GP ResNet: shapes from the image size, one residual block per resolution step, per-sample critic."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.models.resnet import DownBlock, ResNetCritic, ResNetGenerator, UpBlock


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_generator_and_critic_shapes(shape):
    generator, critic = ResNetGenerator(12, shape, 8), ResNetCritic(shape, 8, "layer")
    images = generator(torch.randn(4, 12))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1.0
    assert critic(images).shape == (4, 1)


@pytest.mark.parametrize(("size", "up_blocks", "down_blocks"), [(8, 1, 1), (28, 2, 1), (32, 3, 2)])
def test_blocks_per_resolution_step(size, up_blocks, down_blocks):
    generator, critic = ResNetGenerator(5, (3, size, size), 8), ResNetCritic((3, size, size), 8)
    assert sum(isinstance(block, UpBlock) for block in generator.blocks) == up_blocks
    downsampling = [block.down for block in critic.blocks if isinstance(block, DownBlock)]
    assert downsampling == [True] * down_blocks + [False, False]  # then two blocks at the final resolution


def test_first_critic_block_is_never_normalised():
    critic = ResNetCritic((3, 32, 32), 8, "layer")
    first, second = critic.blocks[0], critic.blocks[1]
    assert isinstance(first.norm1, nn.Identity) and isinstance(first.norm2, nn.Identity)
    assert isinstance(second.norm1, nn.GroupNorm) and isinstance(second.norm2, nn.GroupNorm)
