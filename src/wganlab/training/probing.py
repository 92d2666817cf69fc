"""The diagnostic probe run at each evaluation: which points it looks at, chosen once at build time.

Training real points come from the training data; held-out real points from the data's test split
(image data) or fresh draws (2-D data, whose training data is never finite, so its gap stays near 0).
The probe draws from its own generator seeded by the step, so it never disturbs training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wganlab.config import Config
from wganlab.data.images import ImageData, load_images
from wganlab.data.stacked import StackedImages
from wganlab.data.toy import ToyDistribution
from wganlab.diagnostics.probe import CriticLoss, Record, probe_critic
from wganlab.errors import UserError
from wganlab.training.evaluation import generate
from wganlab.training.state import TrainState

Data = ToyDistribution | ImageData | StackedImages
PROBE_POINTS = 256


@dataclass(frozen=True)
class Prober:
    train_data: Data
    held_out_data: Data | None
    loss: CriticLoss
    clip_value: float | None  # under weight clipping: report the fraction of weights at +/-c
    latent_dim: int

    def probe(self, state: TrainState, seed: int) -> Record:
        """Probe the critic (in eval mode) on the training generator's samples and real data."""
        rng = torch.Generator().manual_seed(seed)
        device = next(state.critic.parameters()).device
        real = self.train_data.sample(PROBE_POINTS, rng).to(device)
        fake = generate(state.generator, PROBE_POINTS, self.latent_dim, seed).to(device)
        held_out = None if self.held_out_data is None else self.held_out_data.sample(PROBE_POINTS, rng).to(device)
        state.critic.eval()
        try:
            return probe_critic(state.critic, self.loss, real, fake, rng, held_out, self.clip_value)
        finally:
            state.critic.train()


def held_out_data(config: Config, train_data: Data) -> Data | None:
    """The data's test split when it has one; a 2-D distribution is its own held-out data."""
    if isinstance(train_data, ToyDistribution):
        return train_data
    data = config.data
    if data.split != "train":
        return None
    try:
        images = load_images(data.name, data.root or None, split="test", resize=data.resize, pad_to=data.pad_to)
    except UserError:
        return None  # no test split (an image folder, one .npz file, ...): no held-out gap
    return StackedImages(images, data.stack) if data.stack > 1 else images


def build_prober(config: Config, train_data: Data, loss: CriticLoss) -> Prober:
    objective = config.objective
    return Prober(
        train_data=train_data,
        held_out_data=held_out_data(config, train_data),
        loss=loss,
        clip_value=objective.clip_value if objective.constraint == "clip" else None,
        latent_dim=config.model.latent_dim,
    )
