"""Class conditioning, chosen by `model.conditioning`: the layers that let a generator take (z, y) and a critic
(x, y), and the table of the choices. Plain modules: they know nothing of losses (the auxiliary classifier's
cross-entropy and its weights are the objective's, objectives/conditional.py).

- Generator: conditional BatchNorm (a per-class gain and bias after a BatchNorm without its own affine, as the
  WGAN-GP CIFAR-10 code's generator) where the architecture has BatchNorm, else a learned class embedding
  concatenated to the latent.
- Critic: "projection" adds <embed(y), phi(x)> to the score of the features phi(x) (Miyato & Koyama 2018);
  "acgan" adds an auxiliary classifier's logits beside the score (Odena et al. 2017; the WGAN-GP CIFAR-10 code):
  the critic's output is then [N, 1 + K], the score first; "concat" feeds the one-hot label beside the flattened
  input of an MLP critic (Mirza & Osindero 2014).

A conditional network has an attribute `classes` (K); `classes_of` reads it (0 for an unconditional one).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wganlab.models.norms import norm_layer
from wganlab.parts import Parts


@dataclass(frozen=True)
class Conditioning:
    name: str
    description: str
    architectures: tuple[str, ...]  # the model.arch values with a variant for it
    auxiliary_classifier: bool = False  # the critic also outputs class logits (its output is [N, 1 + K])


NONE = "none"
CONDITIONINGS: Parts[Conditioning] = Parts("model.conditioning", [
    Conditioning(NONE, "unconditional: the generator takes z, the critic x", ("*",)),
    Conditioning(
        "projection",
        "projection critic: score + <embed(y), features(x)> (Miyato & Koyama 2018); conditional BatchNorm in G",
        ("mlp", "dcgan", "resnet"),
    ),
    Conditioning(
        "acgan",
        "auxiliary classifier head on the critic, cross-entropy weighted 1 (critic, on real) and 0.1 (generator, on "
        "fake), as the WGAN-GP CIFAR-10 code; conditional BatchNorm in G",
        ("mlp", "dcgan", "resnet"),
        auxiliary_classifier=True,
    ),
    Conditioning("concat", "the one-hot label concatenated to the MLP critic's input (Mirza & Osindero 2014)",
                 ("mlp",)),
])


def classes_of(network: nn.Module) -> int:
    """K for a conditional network (it takes labels in 0..K-1 beside its input), 0 for an unconditional one."""
    return int(getattr(network, "classes", 0))


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d without affine parameters, then a per-class gain (initially 1) and bias (initially 0)."""

    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain, self.bias = nn.Embedding(classes, channels), nn.Embedding(classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # [N, C, H, W], [N] -> [N, C, H, W]
        return self.norm(x) * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


def generator_norm(name: str, channels: int, classes: int) -> nn.Module:
    """The generator's normalisation layer: conditional BatchNorm for "batch" in a conditional generator."""
    return ConditionalBatchNorm2d(channels, classes) if classes and name == "batch" else norm_layer(name, channels)


def apply(layer: nn.Module, h: Tensor, y: Tensor | None) -> Tensor:
    """`layer(h)`, or `layer(h, y)` for a layer that takes the labels."""
    if not isinstance(layer, ConditionalBatchNorm2d):
        return layer(h)
    return layer(h, needs_labels(y))


def needs_labels(y: Tensor | None) -> Tensor:
    """`y`; a one-line TypeError for a class-conditional network called without its labels."""
    if y is None:
        raise TypeError("a class-conditional network takes labels beside its input: call it as network(z, y) with "
                        "y [N] int64 in 0..classes-1")
    return y


def run(layers: nn.Sequential, h: Tensor, y: Tensor | None) -> Tensor:
    """`layers` in order, the labels given to those that take them."""
    for layer in layers:
        h = apply(layer, h, y)
    return h


class LabelEmbedding(nn.Module):
    """(z, y) -> [z, embed(y)]: a generator's input when it has no BatchNorm to condition (the embedding is as wide
    as the latent)."""

    def __init__(self, latent_dim: int, classes: int):
        super().__init__()
        self.embed = nn.Embedding(classes, latent_dim)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # [N, latent], [N] -> [N, 2 latent]
        return torch.cat([z, self.embed(y).to(z.dtype)], dim=1)


class EmbeddedGenerator(nn.Module):
    """(z, y) -> generator([z, embed(y)]): a conditional generator without conditional BatchNorm."""

    def __init__(self, generator: nn.Module, latent_dim: int, classes: int):
        super().__init__()
        self.classes = classes
        self.embed = LabelEmbedding(latent_dim, classes)
        self.generator = generator

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.generator(self.embed(z, needs_labels(y)))


class ProjectionHead(nn.Module):
    """score + <embed(y), phi> (Miyato & Koyama 2018), the embedding Xavier-initialised."""

    def __init__(self, features: int, classes: int):
        super().__init__()
        self.embed = nn.Embedding(classes, features)
        nn.init.xavier_uniform_(self.embed.weight)

    def forward(self, phi: Tensor, score: Tensor, y: Tensor) -> Tensor:  # [N, F], [N, 1], [N] -> [N, 1]
        return score + (self.embed(y) * phi).sum(dim=1, keepdim=True)


class ClassifierHead(nn.Module):
    """[score, logits(phi)]: an auxiliary classifier beside the score. Its weight is a plain parameter, not an
    nn.Linear, so what acts on the score's layers (spectral norm, the per-layer gradient diagnostics) leaves it
    alone: it is not on the path of the score."""

    def __init__(self, features: int, classes: int):
        super().__init__()
        layer = nn.Linear(features, classes)  # its default initialisation
        self.weight, self.bias = nn.Parameter(layer.weight.detach()), nn.Parameter(layer.bias.detach())

    def forward(self, phi: Tensor, score: Tensor, y: Tensor) -> Tensor:  # -> [N, 1 + K]
        return torch.cat([score, F.linear(phi, self.weight, self.bias)], dim=1)


class ConditionalCritic(nn.Module):
    """(x, y) -> the head of (features(x), score(features(x)), y); `critic` offers `features` and `score`."""

    def __init__(self, critic: nn.Module, features: int, classes: int, auxiliary_classifier: bool):
        super().__init__()
        self.classes = classes
        self.critic = critic
        head = ClassifierHead if auxiliary_classifier else ProjectionHead
        self.head = head(features, classes)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        phi = self.critic.features(x)
        return self.head(phi, self.critic.score(phi), y)


class ConcatCritic(nn.Module):
    """(x, y) -> critic([flatten(x), one_hot(y)]): label concatenation for an MLP critic."""

    def __init__(self, critic: nn.Module, classes: int):
        super().__init__()
        self.classes = classes
        self.critic = critic

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        one_hot = F.one_hot(y, self.classes).to(x.dtype)
        return self.critic(torch.cat([x.flatten(1), one_hot], dim=1))


class ClassBound(nn.Module):
    """x -> the score of a conditional critic at (x, k) for one class k ([N, 1]): the critic as a function of its
    input alone, for what probes a critic point by point (the diagnostics)."""

    def __init__(self, critic: nn.Module, label: int):
        super().__init__()
        self.critic, self.label = critic, label

    def forward(self, x: Tensor) -> Tensor:
        labels = torch.full((len(x),), self.label, dtype=torch.long, device=x.device)
        return self.critic(x, labels)[:, :1]
