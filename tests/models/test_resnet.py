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


def test_cifar_networks_have_the_official_parameter_counts():
    """gan_cifar_resnet.py, DIM_G = DIM_D = 128, latent 128, BatchNorm in the generator only:
    generator Linear 128->2048 (264,192) + 3 up blocks x (1x1 shortcut 16,512 + 2 BN 512 + 2 3x3 convs 295,168)
    + BN 256 + 3x3 conv to RGB 3,459 = 1,204,483; critic first block (1x1 3->128 512, 3x3 3->128 3,584,
    3x3 147,584) + down block (2 x 147,584 + 1x1 16,512) + 2 plain blocks (4 x 147,584) + Linear 129 = 1,053,825."""
    generator, critic = ResNetGenerator(128, (3, 32, 32), 128, "batch"), ResNetCritic((3, 32, 32), 128, "none")
    assert sum(p.numel() for p in generator.parameters()) == 1_204_483
    assert sum(p.numel() for p in critic.parameters()) == 1_053_825
