"""The diagnostic probe run at each evaluation: which points it looks at, chosen once at build time.

Training real points come from the training data; held-out real points from the data's test split
(image data) or fresh draws (2-D data, whose training data is never finite, so its gap stays near 0).
The probe draws from its own generator seeded by the step, so it never disturbs training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wganlab.config import Config
from wganlab.data.datasets import Dataset, held_out_dataset
from wganlab.data.toy import ToyDistribution
from wganlab.diagnostics.probe import ProbeRecord, probe_critic
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
        """Probe the critic (in eval mode) on the training generator's samples and real data."""
        rng = torch.Generator().manual_seed(seed)
        device = next(critic.parameters()).device
        real = self.train_data.sample(PROBE_POINTS, rng).to(device)
        fake = generate(generator, PROBE_POINTS, self.latent_dim, seed).to(device)
        held_out = None if self.held_out_data is None else self.held_out_data.sample(PROBE_POINTS, rng).to(device)
        critic.eval()
        try:
            return probe_critic(critic, self.loss, real, fake, rng, held_out, self.clip_value, self.chunk)
        finally:
            critic.train()


def build_prober(config: Config, train_data: Dataset, objective: Objective) -> Prober:
    return Prober(
        train_data=train_data,
        held_out_data=held_out_dataset(config.data, train_data),
        loss=objective.loss.critic,
        clip_value=objective.constraint.clip_value,
        latent_dim=config.model.latent_dim,
        chunk=None if isinstance(train_data, ToyDistribution) else PROBE_CHUNK,
    )
