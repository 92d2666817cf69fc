"""The DCGAN of Radford et al. as the WGAN paper trained it: the official parameter counts, 2^k-pixel images."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.errors import UserError
from wganlab.models.dcgan_paper import PaperDCGANCritic, PaperDCGANGenerator, doublings


def count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def test_official_parameter_counts_at_64_pixels():
    """WassersteinGAN models/dcgan.py, isize 64, nz 100, ngf = ndf = 64, nc 3, no biases: generator 100->512
    (819,200) + 512->256 (2,097,152) + 256->128 (524,288) + 128->64 (131,072) + 64->3 (3,072) + BN (1,920) =
    3,576,704; critic 3->64 (3,072) + 64->128 (131,072) + 128->256 (524,288) + 256->512 (2,097,152) + 512->1
    (8,192) + BN (1,792) = 2,765,568."""
    assert count(PaperDCGANGenerator(100, (3, 64, 64), 64)) == 3_576_704
    assert count(PaperDCGANCritic((3, 64, 64), 64)) == 2_765_568


@pytest.mark.parametrize(("size", "steps"), [(8, 1), (32, 3), (64, 4)])
def test_sizes_through_the_networks(size, steps):
    assert doublings((1, size, size)) == steps
    generator, critic = PaperDCGANGenerator(10, (1, size, size), 4), PaperDCGANCritic((1, size, size), 4)
    images = generator(torch.randn(3, 10))
    assert images.shape == (3, 1, size, size) and critic(images).shape == (3, 1)
    assert all(m.bias is None for m in critic.modules() if isinstance(m, nn.Conv2d))


@pytest.mark.parametrize("shape", [(3, 28, 28), (3, 4, 4), (3, 32, 64)])
def test_other_sizes_are_refused(shape):
    with pytest.raises(UserError, match="8, 16, 32, 64"):
        PaperDCGANCritic(shape, 4)
