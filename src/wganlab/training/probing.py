"""The diagnostic probe run at each evaluation: which points it looks at, chosen once at build time.

Training real points come from the training data; held-out real points from the data's test split
(image data) or fresh draws (2-D data, whose training data is never finite, so its gap stays near 0).
The probe draws from its own generator seeded by the step, so it never disturbs training.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import Config
from wganlab.data.datasets import Dataset, held_out_dataset
from wganlab.data.images import ImageData
from wganlab.data.toy import ToyDistribution
from wganlab.diagnostics.probe import ProbeRecord, combine_class_probes, probe_critic
from wganlab.models.conditional import ClassBound, classes_of
from wganlab.models.sampling import generate
from wganlab.objectives.losses import CriticLoss
from wganlab.objectives.objective import Objective

PROBE_POINTS = 256
PROBE_CHUNK = 64  # images probed at a time: the activations of a training batch, not of 512 images at once


@dataclass(frozen=True)
class Prober:
    train_data: Dataset
    held_out_data: Dataset | None
    loss: CriticLoss
    clip_value: float | None  # under weight clipping: report the fraction of weights at +/-c
    latent_dim: int
    chunk: int | None  # points through the critic at a time (None: 2-D points, all at once)

    def probe(self, generator: nn.Module, critic: nn.Module, seed: int) -> ProbeRecord:
        """Probe the critic (in eval mode) on the training generator's samples and real data; a conditional critic
        class by class (`combine_class_probes`), each class's real and held-out points and fakes made for it
        scored with its label."""
        classes = classes_of(critic)
        critic.eval()
        try:
            if not classes:
                return self._probe(generator, critic, seed, PROBE_POINTS)
            points = max(PROBE_POINTS // classes, 2)
            return combine_class_probes([self._probe(generator, critic, seed, points, k) for k in range(classes)])
        finally:
            critic.train()

    def _probe(
        self, generator: nn.Module, critic: nn.Module, seed: int, points: int, label: int | None = None
    ) -> ProbeRecord:
        rng = torch.Generator().manual_seed(seed)
        device = next(critic.parameters()).device
        real = _draw(self.train_data, points, rng, label).to(device)
        held_out = None if self.held_out_data is None else _draw(self.held_out_data, points, rng, label).to(device)
        fake = generate(generator, points, self.latent_dim, seed, label).to(device)
        scored = critic if label is None else ClassBound(critic, label)
        return probe_critic(scored, self.loss, real, fake, rng, held_out, self.clip_value, self.chunk)


def _every_class(held_out: Dataset | None, classes: int) -> Dataset | None:
    """The held-out data, unless a conditional run's probe (`classes` > 0) would find a class missing from it."""
    if not classes or held_out is None:
        return held_out
    labels = held_out.labels if isinstance(held_out, ImageData) else None
    if labels is None or len(torch.unique(labels)) < classes:
        print("no held-out gap: the held-out split lacks the labels of some class, and a conditional run's probe "
              "scores each class's points with its label", file=sys.stderr)
        return None
    return held_out


def _draw(data: Dataset, points: int, rng: torch.Generator, label: int | None) -> torch.Tensor:
    """`points` real samples from `data` from `rng`; all of class `label` when given (labelled image data)."""
    if label is None:
        return data.sample(points, rng)
    assert isinstance(data, ImageData)  # validation: a conditional run's data is labelled images
    return data.sample_of_class(points, label, rng)


def build_prober(config: Config, train_data: Dataset, objective: Objective) -> Prober:
    return Prober(
        train_data=train_data,
        held_out_data=_every_class(held_out_dataset(config.data, train_data), config.model.classes),
        loss=objective.loss.critic,
        clip_value=objective.constraint.clip_value,
        latent_dim=config.model.latent_dim,
        chunk=None if isinstance(train_data, ToyDistribution) else PROBE_CHUNK,
    )
