"""Convolutional generators and critics: shapes from the image size, raw critic scores, clear refusals."""

from __future__ import annotations

import pytest
import torch

from wganlab.models.dcgan import DCGANCritic, DCGANGenerator
from wganlab.models.resnet import ResNetCritic, ResNetGenerator
from wganlab.models.shapes import resolution_steps


@pytest.mark.parametrize(("size", "expected"), [(8, (4, 1)), (28, (7, 2)), (32, (4, 3)), (64, (4, 4))])
def test_resolution_steps(size, expected):
    assert resolution_steps(size) == expected


@pytest.mark.parametrize("size", [9, 3, 100])
def test_unsupported_sizes_are_refused(size):
    with pytest.raises(ValueError, match="power of two"):
        resolution_steps(size)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 8), (1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("family", ["dcgan", "resnet"])
def test_generator_and_critic_shapes(shape, family):
    generator_type, critic_type = {"dcgan": (DCGANGenerator, DCGANCritic), "resnet": (ResNetGenerator, ResNetCritic)}[
        family
    ]
    generator, critic = generator_type(12, shape, 8), critic_type(shape, 8, "layer")
    images = generator(torch.randn(4, 12))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1.0
    assert critic(images).shape == (4, 1)


def test_critic_scores_are_raw_not_squashed():
    torch.manual_seed(0)
    critic = DCGANCritic((1, 8, 8), 8, "none")
    scores = critic(100 * torch.randn(64, 1, 8, 8))
    assert scores.abs().max() > 1.0  # a sigmoid would keep them in (0, 1)


def test_layer_norm_critic_is_per_sample():
    # A penalised critic must score each sample independently of the rest of the batch.
    torch.manual_seed(0)
    critic = DCGANCritic((1, 8, 8), 8, "layer")
    batch = torch.randn(6, 1, 8, 8)
    torch.testing.assert_close(critic(batch)[:1], critic(batch[:1]))
