"""The generator/critic pairs `model.arch` chooses: each builds both networks for data of a given shape."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import ModelConfig
from wganlab.errors import UserError
from wganlab.models.conditional import (
    CONDITIONINGS,
    NONE,
    ConcatCritic,
    ConditionalCritic,
    EmbeddedGenerator,
    classes_of,
)
from wganlab.models.dcgan import DCGANCritic, DCGANGenerator
from wganlab.models.dcgan_paper import PaperDCGANCritic, PaperDCGANGenerator
from wganlab.models.mlp import MLP
from wganlab.models.mnist_conv import MNISTConvCritic, MNISTConvGenerator
from wganlab.models.resnet import ResNetCritic, ResNetGenerator
from wganlab.models.sngan_cnn import SNGANCritic, SNGANGenerator
from wganlab.parts import Parts

Networks = tuple[nn.Module, nn.Module]  # (generator: latent -> sample, critic: sample -> score)
# A conditional pair (model.conditioning, models/conditional.py): generator (latent, label) -> sample and critic
# (sample, label) -> score, or [score, class logits] under "acgan".


@dataclass(frozen=True)
class Architecture:
    name: str
    description: str
    build: Callable[[ModelConfig, tuple[int, ...]], Networks]  # (config, data shape) -> networks
    images_only: bool = False  # convolutional: needs data of shape (C, H, W)


def _mlp(config: ModelConfig, shape: tuple[int, ...]) -> Networks:
    size, conditional = math.prod(shape), config.conditioning != NONE
    latent = config.latent_dim * (2 if conditional else 1)  # a conditional generator's input: [z, embed(y)]
    concatenated = config.classes if config.conditioning == "concat" else 0  # the critic's one-hot label inputs
    generator = MLP(latent, size, config.width, config.depth, config.activation)
    critic = MLP(size + concatenated, 1, config.width, config.depth, config.activation)
    if len(shape) > 1:  # images through an MLP (the WGAN paper's MLP experiments): tanh and unflatten out
        generator = nn.Sequential(generator, nn.Tanh(), nn.Unflatten(1, shape))
        if not conditional:  # a conditional critic flattens its input itself
            critic = nn.Sequential(nn.Flatten(), critic)
    return _conditioned(config, generator, critic)


def _conditioned(config: ModelConfig, generator: nn.Module, critic: nn.Module) -> Networks:
    """The networks as model.conditioning makes them: a generator without conditional BatchNorm takes [z, embed(y)]
    (it was built for an input twice the latent), the critic gains its head or its label inputs."""
    conditioning = CONDITIONINGS[config.conditioning]
    if conditioning.name == NONE:
        return generator, critic
    if classes_of(generator) == 0:
        generator = EmbeddedGenerator(generator, config.latent_dim, config.classes)
    if conditioning.name == "concat":
        return generator, ConcatCritic(critic, config.classes)
    features = critic.score.in_features  # phi(x)'s width: what the unconditional score reads
    return generator, ConditionalCritic(critic, features, config.classes, conditioning.auxiliary_classifier)


def _convolutional(generator_type: type[nn.Module], critic_type: type[nn.Module]) -> Callable[..., Networks]:
    def build(config: ModelConfig, shape: tuple[int, ...]) -> Networks:
        if shape[1] != shape[2]:
            size = f"{shape[1]}x{shape[2]}"
            raise UserError(f"model.arch {config.arch!r} needs square images, got {size}; set data.resize")
        # a conditional generator: conditional BatchNorm where it has BatchNorm, else [z, embed(y)] as its input
        conditional_norm = config.conditioning != NONE and config.generator_norm == "batch"
        embedded = config.conditioning != NONE and not conditional_norm
        try:
            generator = generator_type(
                config.latent_dim * (2 if embedded else 1), shape, config.width, config.generator_norm,
                **({"classes": config.classes} if conditional_norm else {}),
            )
            return _conditioned(config, generator, critic_type(shape, config.width, config.critic_norm))
        except ValueError as error:
            raise UserError(f"model.arch {config.arch!r}: {error}; set data.resize or data.pad_to (e.g. 32)") from None

    return build


ARCHITECTURES: Parts[Architecture] = Parts("model.arch", [
    Architecture("mlp", "fully connected generator and critic (width x depth); images are flattened", _mlp),
    Architecture(
        "dcgan",
        "DCGAN-style convolutional networks sized from the image shape (width = base channels)",
        _convolutional(DCGANGenerator, DCGANCritic),
        images_only=True,
    ),
    Architecture(
        "resnet",
        "the WGAN-GP CIFAR-10 ResNet: pre-activation residual blocks (width = channels, 128 in the paper)",
        _convolutional(ResNetGenerator, ResNetCritic),
        images_only=True,
    ),
    Architecture(
        "mnist-conv",
        "the WGAN-GP MNIST code's networks: 5x5 stride-2 (de)convolutions, LeakyReLU 0.2 critic (width = DIM, 64)",
        _convolutional(MNISTConvGenerator, MNISTConvCritic),
        images_only=True,
    ),
    Architecture(
        "sngan-cnn",
        "the spectral-normalisation paper's standard CNN (Miyato et al. 2018, Table 3; width = 64 in the paper)",
        _convolutional(SNGANGenerator, SNGANCritic),
        images_only=True,
    ),
    Architecture(
        "dcgan-paper",
        "the DCGAN of Radford et al. as the WGAN paper trained it: 4x4 (de)convolutions, BatchNorm (width = 64)",
        _convolutional(PaperDCGANGenerator, PaperDCGANCritic),
        images_only=True,
    ),
])


def build_networks(config: ModelConfig, shape: tuple[int, ...]) -> Networks:
    """Generator latent -> sample and critic sample -> score for data of `shape` ((2,) or (C, H, W))."""
    return ARCHITECTURES.resolve(config.arch).build(config, shape)


def parameter_count(network: nn.Module) -> int:
    """Trainable weights and biases (BatchNorm's running statistics and spectral norm's vectors are buffers)."""
    return sum(parameter.numel() for parameter in network.parameters())


def describe(config: ModelConfig, shape: tuple[int, ...]) -> str:
    """Both networks for data of `shape`, layer by layer, each with its parameter count (what --dry-run shows),
    built on the meta device: no weights are made, so a size too large for this machine is described, not
    allocated."""
    with torch.device("meta"):
        generator, critic = build_networks(config, shape)
    return "\n".join(
        f"{role} ({network.__class__.__name__}): {parameter_count(network):,} parameters\n{network}"
        for role, network in (("generator", generator), ("critic", critic))
    )
