"""The spectral-normalisation paper's standard CNN: the official sizes and parameter counts, sizes divisible by 8."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.errors import UserError
from wganlab.models.sngan_cnn import SNGANCritic, SNGANGenerator, bottom_width


def count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def test_official_parameter_counts():
    """chainer-gan-lib DCGANGenerator / SNDCGANDiscriminator (ch 512, bottom 4, latent 128): generator Linear
    128->8192 (1,056,768) + BN 8192 (16,384) + deconvs 512->256 (2,097,408), 256->128 (524,416), 128->64 (131,136)
    + BN (512 + 256 + 128) + 3x3 64->3 (1,731) = 3,828,739; critic convs 3->64 (1,792), 64->128 4x4 (131,200),
    128->128 (147,584), 128->256 4x4 (524,544), 256->256 (590,080), 256->512 4x4 (2,097,664), 512->512
    (2,359,808) + Linear 8192->1 (8,193) = 5,860,865."""
    assert count(SNGANGenerator(128, (3, 32, 32), 64)) == 3_828_739
    assert count(SNGANCritic((3, 32, 32), 64)) == 5_860_865


@pytest.mark.parametrize(("size", "bottom"), [(32, 4), (48, 6)])
def test_sizes_through_the_networks(size, bottom):
    assert bottom_width((3, size, size)) == bottom
    generator, critic = SNGANGenerator(8, (3, size, size), 4), SNGANCritic((3, size, size), 4)
    images = generator(torch.randn(2, 8))
    assert images.shape == (2, 3, size, size) and critic(images).shape == (2, 1)
    assert all(m.negative_slope == 0.1 for m in critic.modules() if isinstance(m, nn.LeakyReLU))  # the paper's


@pytest.mark.parametrize("shape", [(3, 28, 28), (3, 32, 16)])
def test_sizes_not_divisible_by_8_are_refused(shape):
    with pytest.raises(UserError, match="multiple of 8"):
        SNGANCritic(shape, 4)
