"""build_networks: the generator/critic pair model.arch names, sized from the data's shape; clear refusals."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from wganlab.config import ModelConfig
from wganlab.errors import ConfigError, UserError
from wganlab.models.architectures import ARCHITECTURES, build_networks, describe
from wganlab.models.dcgan import DCGANCritic, DCGANGenerator
from wganlab.models.mlp import MLP
from wganlab.models.resnet import ResNetCritic, ResNetGenerator

SMALL = ModelConfig(latent_dim=3, width=8, depth=2)


def linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    return [(layer.in_features, layer.out_features) for layer in module.modules() if isinstance(layer, nn.Linear)]


def test_mlp_on_2d_data():
    generator, critic = build_networks(SMALL, (2,))
    assert isinstance(generator, MLP) and isinstance(critic, MLP)
    assert linear_shapes(generator) == [(3, 8), (8, 8), (8, 2)]
    assert linear_shapes(critic) == [(2, 8), (8, 8), (8, 1)]
    points = generator(torch.randn(5, 3))
    assert points.shape == (5, 2) and critic(points).shape == (5, 1)


def test_mlp_on_images_flattens_and_squashes():
    generator, critic = build_networks(SMALL, (1, 4, 6))
    assert linear_shapes(generator)[-1] == (8, 24) and linear_shapes(critic)[0] == (24, 8)
    images = generator(100 * torch.randn(5, 3))
    assert images.shape == (5, 1, 4, 6) and images.abs().max() <= 1.0  # tanh: pixels in [-1, 1]
    assert critic(images).shape == (5, 1)
    # the critic reads the image row-major: its score is the flat MLP's score of the flattened image
    torch.testing.assert_close(critic(images), critic[1](images.reshape(5, 24)), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("arch", "types"), [("dcgan", (DCGANGenerator, DCGANCritic)), ("resnet", (ResNetGenerator, ResNetCritic))]
)
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_convolutional_sizes(arch, types, shape):
    config = dataclasses.replace(SMALL, arch=arch, generator_norm="batch", critic_norm="layer")
    generator, critic = build_networks(config, shape)
    assert isinstance(generator, types[0]) and isinstance(critic, types[1])
    assert any(isinstance(layer, nn.BatchNorm2d) for layer in generator.modules())  # the norms reach the layers
    assert any(isinstance(layer, nn.GroupNorm) for layer in critic.modules())
    images = generator(torch.randn(2, 3))
    assert images.shape == (2, *shape) and critic(images).shape == (2, 1)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_non_square_images_are_a_one_line_user_error(arch):
    with pytest.raises(UserError) as info:
        build_networks(dataclasses.replace(SMALL, arch=arch), (1, 8, 16))
    assert str(info.value) == f"model.arch {arch!r} needs square images, got 8x16; set data.resize"


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_unsupported_sizes_are_a_one_line_user_error(arch):
    with pytest.raises(UserError) as info:
        build_networks(dataclasses.replace(SMALL, arch=arch), (3, 9, 9))
    assert str(info.value) == (
        f"model.arch {arch!r}: image size 9 is not a small base (<= 7) times a power of two; "
        "set data.resize or data.pad_to (e.g. 32)"
    )
    assert not isinstance(info.value, ValueError)


def test_unknown_architecture():
    with pytest.raises(ConfigError, match="unknown model.arch 'dcgna'; did you mean 'dcgan'"):
        build_networks(dataclasses.replace(SMALL, arch="dcgna"), (2,))


def test_images_only():
    assert {name: entry.images_only for name, entry in ARCHITECTURES.items()} == {
        "mlp": False,
        "dcgan": True,
        "resnet": True,
        "mnist-conv": True,
        "sngan-cnn": True,
        "dcgan-paper": True,
    }


@pytest.mark.parametrize("critic_type", [DCGANCritic, ResNetCritic])
def test_convolutional_critic_scores_are_raw_not_squashed(critic_type):
    torch.manual_seed(0)
    critic = critic_type((1, 8, 8), 8, "none")
    scores = critic(100 * torch.randn(64, 1, 8, 8))
    assert scores.abs().max() > 1.0  # a sigmoid would keep them in (0, 1)


@pytest.mark.parametrize("critic_type", [DCGANCritic, ResNetCritic])
@pytest.mark.equivalence
def test_layer_norm_critics_score_each_sample_alone(critic_type):
    # A penalised critic must score each sample independently of the rest of the batch (in float64: in float32 a
    # batch of 6 and one of 1 may take kernels that round otherwise, by CPU).
    torch.manual_seed(0)
    critic = critic_type((1, 8, 8), 8, "layer").double()
    batch = torch.randn(6, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(critic(batch)[:1], critic(batch[:1]))


def test_describe_names_each_network_with_its_parameter_count():
    text = describe(ModelConfig(arch="mnist-conv", latent_dim=128, width=64, generator_norm="none"), (1, 28, 28))
    assert "generator (MNISTConvGenerator): 1,554,177 parameters" in text
    assert "critic (MNISTConvCritic): 1,030,145 parameters" in text and "ConvTranspose2d(256, 128" in text
