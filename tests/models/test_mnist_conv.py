"""The WGAN-GP MNIST code's networks: the official sizes, parameter counts and the 28x28 they are built for."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wganlab.errors import UserError
from wganlab.models.mnist_conv import MNISTConvCritic, MNISTConvGenerator


def count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def test_official_parameter_counts():
    """gan_mnist.py with DIM 64, latent 128 (REFERENCE.md 3b): generator Linear 128->4096 (528,384) + deconvs
    256->128 (819,328), 128->64 (204,864), 64->1 (1,601) = 1,554,177; critic convs 1->64 (1,664), 64->128
    (204,928), 128->256 (819,456) + Linear 4096->1 (4,097) = 1,030,145."""
    assert count(MNISTConvGenerator(128, (1, 28, 28), 64)) == 1_554_177
    assert count(MNISTConvCritic((1, 28, 28), 64)) == 1_030_145


def test_sizes_through_the_networks():
    generator, critic = MNISTConvGenerator(16, (1, 28, 28), 4), MNISTConvCritic((1, 28, 28), 4)
    images = generator(torch.randn(3, 16))
    assert images.shape == (3, 1, 28, 28) and images.abs().max() <= 1.0  # tanh: wganlab's [-1, 1]
    assert critic(images).shape == (3, 1)
    hidden = generator.up1(generator.project(torch.randn(3, 16)).view(-1, 16, 4, 4))
    assert hidden.shape == (3, 8, 8, 8)  # 4 -> 8, then the official crop to 7 -> 14 -> 28


def test_norms_are_identity_in_the_official_mode_and_optional():
    assert not any(isinstance(m, nn.BatchNorm2d) for m in MNISTConvGenerator(8, (1, 28, 28), 4).modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in MNISTConvGenerator(8, (1, 28, 28), 4, "batch").modules()) == 2
    assert sum(isinstance(m, nn.GroupNorm) for m in MNISTConvCritic((1, 28, 28), 4, "layer").modules()) == 2


@pytest.mark.parametrize("shape", [(3, 28, 28), (1, 32, 32)])
def test_other_shapes_are_refused_in_one_line(shape):
    with pytest.raises(UserError, match="28x28 grayscale") as error:
        MNISTConvCritic(shape, 4)
    assert "\n" not in str(error.value)
