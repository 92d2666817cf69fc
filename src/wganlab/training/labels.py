"""The labels of a class-conditional run: its class count, checked against the data, and the labels its generator
is given (train.label_sampling), drawn from the run's latent stream after the latents, so that resuming a run
draws them again exactly."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from wganlab import config as configuration
from wganlab import sharding
from wganlab.config import Config
from wganlab.data.datasets import Dataset
from wganlab.data.images import ImageData
from wganlab.errors import UserError
from wganlab.models.conditional import NONE
from wganlab.parts import Parts


@dataclass(frozen=True)
class LabelSampling:
    name: str
    description: str
    by_data: bool  # the labels of random training rows, rather than uniform over the classes


LABEL_SAMPLINGS: Parts[LabelSampling] = Parts("train.label_sampling", [
    LabelSampling("uniform", "a conditional run's generator labels uniform over the classes", by_data=False),
    LabelSampling("data", "the labels of uniformly random training rows: the data's class frequencies", by_data=True),
])


@dataclass(frozen=True)
class LabelSampler:
    """Draws the generator's labels: uniform over `classes`, or (`data_labels`, on the training device) the labels
    of uniformly random training rows, so the data's class frequencies."""

    classes: int
    data_labels: Tensor | None = None  # train.label_sampling = "data"

    def draw(self, n: int, rng: torch.Generator) -> Tensor:
        """[n] int64 labels on `rng.device`, drawn from `rng` alone."""
        if self.data_labels is None:
            return sharding.randint(self.classes, (n,), rng, rng.device)
        return self.data_labels[sharding.randint(len(self.data_labels), (n,), rng, rng.device)]


def conditioned(config: Config, dataset: Dataset) -> Config:
    """For a conditional run: `config` with model.classes written in (0 means the data's: one more than its
    largest label); a UserError in one line for data that cannot be trained conditionally. An unconditional run's
    config as it is."""
    model = config.model
    if model.conditioning == NONE:
        return config
    labels = _labels(dataset)
    if labels is None:
        raise UserError(
            f"model.conditioning {model.conditioning!r} needs labelled data, and {config.data.name} "
            f"({getattr(dataset, 'source', config.data.name)}) has none: give a folder with one subfolder per class, "
            'an .npz with a "labels" array, or set model.conditioning = "none"'
        )
    low, high = int(labels.min()), int(labels.max())
    classes = model.classes or high + 1
    if low < 0 or high >= classes:
        raise UserError(f"the data's labels run from {low} to {high}, which model.classes = {classes} cannot hold: "
                        "labels must lie in 0..classes-1 (model.classes = 0 takes one more than the largest)")
    counts = torch.bincount(labels, minlength=classes)
    if classes < 2 or not bool((counts > 0).all()):
        empty = [k for k, count in enumerate(counts.tolist()) if count == 0][:5]
        raise UserError(f"a conditional run needs at least 2 classes, each with images; the data has {classes} "
                        f"class(es), none of class {', '.join(map(str, empty)) or '-'}: relabel it 0..K-1 or set "
                        "model.conditioning = \"none\"")
    return configuration.with_values(config, {"model.classes": classes})


def label_sampler(config: Config, dataset: Dataset) -> LabelSampler | None:
    """The generator's labels of a conditional run whose config is `conditioned` and on its concrete device (the
    data's labels there, for train.label_sampling = "data"); None for an unconditional run."""
    if config.model.conditioning == NONE:
        return None
    labels = _labels(dataset) if LABEL_SAMPLINGS[config.train.label_sampling].by_data else None
    return LabelSampler(config.model.classes, None if labels is None else labels.to(config.train.device))


def _labels(dataset: Dataset) -> Tensor | None:
    return dataset.labels if isinstance(dataset, ImageData) else None
